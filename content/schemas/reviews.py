"""Request and response shapes of reviews (评价)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from content.schemas.diaries import Photo
from content.schemas.professionals import ReplyOut
from kernel.web.bodies import StrictText as Strict
from kernel.web.pagination import PageQuery

BODY_MAX = 20_000


class ReviewScores(Strict):
    """Detailed scores, 1-5 each."""

    effect: int | None = Field(None, ge=1, le=5)
    service: int | None = Field(None, ge=1, le=5)
    environment: int | None = Field(None, ge=1, le=5)
    professionalism: int | None = Field(None, ge=1, le=5)


class ReviewIn(Strict):
    target_type: Literal["clinic", "doctor"]
    target_id: str = Field(min_length=1, max_length=20)
    procedure: str | None = Field(None, min_length=1, max_length=80)
    rating: int = Field(ge=1, le=5)
    scores: ReviewScores | None = None
    body: str = Field(min_length=1, max_length=BODY_MAX, description="limited HTML, stored sanitized")
    media_ids: list[str] = Field(default_factory=list, max_length=9)
    anonymous: bool = False
    diary_id: str | None = Field(None, max_length=20)


class ReviewPatch(Strict):
    procedure: str | None = Field(None, min_length=1, max_length=80)
    rating: int | None = Field(None, ge=1, le=5)
    scores: ReviewScores | None = None
    body: str | None = Field(None, min_length=1, max_length=BODY_MAX)
    media_ids: list[str] | None = Field(None, max_length=9)


class ReviewQuery(PageQuery):
    target_type: Literal["clinic", "doctor"] | None = None
    target_id: str | None = Field(None, max_length=20)
    procedure: str | None = Field(None, max_length=80)
    min_rating: int | None = Field(None, ge=1, le=5)
    author_id: str | None = Field(None, max_length=20, description="never lists anonymous reviews to others")
    sort: Literal["recent", "helpful"] = "recent"


class ReviewOut(BaseModel):
    id: str
    target_type: str
    target_id: str
    procedure: str | None
    rating: int
    scores: dict[str, int | None] | None
    body: str
    text: str
    media: list[Photo]
    diary_id: str | None
    anonymous: bool
    author: dict[str, Any] | None
    is_mine: bool
    status: str
    like_count: int
    liked: bool = Field(description="whether the caller likes it (false for the public)")
    favorited: bool = Field(False, description="whether the caller keeps it in their favourites (收藏)")
    comment_count: int
    reply: ReplyOut | None = Field(None, description="the reviewed clinic's or doctor's official reply (官方回复)")
    version: int
    created_at: datetime
    updated_at: datetime
