"""Shapes of follows (关注)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from kernel.web.pagination import PageQuery

FollowTarget = Literal["account", "diary", "procedure", "question", "clinic", "doctor"]
FOLLOW_TARGETS: tuple[str, ...] = ("account", "diary", "procedure", "question", "clinic", "doctor")


class FollowQuery(PageQuery):
    target_type: FollowTarget | None = None


class FollowOut(BaseModel):
    target_type: str
    target_id: str = Field(description="an id, or the slug of a procedure")
    created_at: datetime
    available: bool = Field(description="false once the object is gone or no longer public")
    title: str | None = Field(None, description="its public name or title, only while available")
