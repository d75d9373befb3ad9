"""Shapes of favourites (收藏)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from kernel.web.pagination import PageQuery

FavouriteTarget = Literal["diary", "review", "question", "answer", "wiki"]
FAVOURITE_TARGETS: tuple[str, ...] = ("diary", "review", "question", "answer", "wiki")


class FavouriteQuery(PageQuery):
    target_type: FavouriteTarget | None = None


class FavouriteOut(BaseModel):
    target_type: str
    target_id: str
    created_at: datetime = Field(description="when the member kept it")
    available: bool = Field(description="false once it is hidden, removed or deleted: nothing of it is shown")
    title: str | None = Field(None, description="only while available")
    preview: str | None = Field(None, description="the start of its text, only while available")
