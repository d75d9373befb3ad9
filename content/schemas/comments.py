"""Request and response shapes of comments (评论)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from kernel.vocabulary import COMMENTABLE, values
from kernel.web.bodies import StrictText
from kernel.web.pagination import PageQuery

# The schema lists exactly the commentable types of the kernel's one enum (mypy reads a str).
if TYPE_CHECKING:
    CommentTarget = str
else:
    CommentTarget = Literal[values(COMMENTABLE)]


class CommentIn(StrictText):
    target_type: CommentTarget
    target_id: str = Field(min_length=1, max_length=40)
    body: str = Field(min_length=1, max_length=5_000, description="limited HTML, stored sanitized")
    reply_to: str | None = Field(None, min_length=1, max_length=20,
                                 description="a comment on the same target; a reply to a reply joins its thread")
    anonymous: bool = False


class CommentQuery(PageQuery):
    target_type: CommentTarget
    target_id: str = Field(min_length=1, max_length=40)


class CommentOut(BaseModel):
    id: str
    target_type: str
    target_id: str
    body: str
    text: str
    author: dict[str, Any] | None
    is_mine: bool = False
    anonymous: bool
    reply_to: str | None = Field(description="the comment replied to: its id only")
    thread_id: str = Field(description="the top-level comment of the thread (its own id when top-level)")
    reply_count: int = Field(0, description="published replies (top-level comments only)")
    status: str
    like_count: int
    liked: bool = False
    created_at: datetime


class CommentPage(BaseModel):
    items: list[CommentOut]
    next_cursor: str | None
