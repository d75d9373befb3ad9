"""Request and response shapes of diaries (日记本) and their entries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from kernel.web.bodies import StrictText as Strict
from kernel.web.pagination import PageQuery
from kernel.web.text import PlainLine

BODY_MAX = 20_000
MEDIA_MAX = 9


class EntryScores(Strict):
    """How it felt that day, 0-10 each."""

    swelling: int | None = Field(None, ge=0, le=10)
    pain: int | None = Field(None, ge=0, le=10)
    satisfaction: int | None = Field(None, ge=0, le=10)


class DiaryIn(Strict):
    title: PlainLine = Field(min_length=1, max_length=120)
    procedure: str = Field(min_length=1, max_length=80, description="a procedure slug")
    operated_on: date
    clinic_id: str | None = Field(None, max_length=20)
    doctor_id: str | None = Field(None, max_length=20)
    price_cny: int | None = Field(None, ge=0, le=10_000_000)
    anonymous: bool = False
    before_media_ids: list[str] = Field(default_factory=list, max_length=MEDIA_MAX)
    cover_media_id: str | None = Field(None, max_length=40)


class DiaryPatch(Strict):
    title: PlainLine | None = Field(None, min_length=1, max_length=120)
    procedure: str | None = Field(None, min_length=1, max_length=80)
    operated_on: date | None = None
    clinic_id: str | None = Field(None, max_length=20)
    doctor_id: str | None = Field(None, max_length=20)
    price_cny: int | None = Field(None, ge=0, le=10_000_000)
    before_media_ids: list[str] | None = Field(None, max_length=MEDIA_MAX)
    cover_media_id: str | None = Field(None, max_length=40)


class DiaryQuery(PageQuery):
    procedure: str | None = Field(None, max_length=80)
    clinic_id: str | None = Field(None, max_length=20)
    doctor_id: str | None = Field(None, max_length=20)
    author_id: str | None = Field(None, max_length=20, description="never lists anonymous diaries to others")
    sort: Literal["recent", "popular"] = "recent"


class EntryIn(Strict):
    body: str = Field(min_length=1, max_length=BODY_MAX, description="limited HTML, stored sanitized")
    happened_on: date
    media_ids: list[str] = Field(default_factory=list, max_length=MEDIA_MAX)
    scores: EntryScores | None = None


class EntryPatch(Strict):
    body: str | None = Field(None, min_length=1, max_length=BODY_MAX)
    happened_on: date | None = None
    media_ids: list[str] | None = Field(None, max_length=MEDIA_MAX)
    scores: EntryScores | None = None


class Photo(BaseModel):
    """A photo of a post. One that moderation took down alone carries ``takedown``: removed, it is a
    placeholder (``variants`` empty) for everyone but the post's author and moderators."""

    id: str
    width: int
    height: int
    variants: dict[str, Any]
    takedown: dict[str, Any] | None = Field(None, description=(
        "only on a photo moderation acted on alone: {status: removed|hidden, case_id (the legal case, null for "
        "a policy removal), reason (notice type or policy reason)}"))


class DiaryOut(BaseModel):
    id: str
    title: str
    procedure: str
    operated_on: date
    clinic_id: str | None
    doctor_id: str | None
    price_cny: int | None
    anonymous: bool
    author: dict[str, Any] | None
    is_mine: bool
    status: str
    before: list[Photo]
    after: list[Photo]
    after_day: int | None
    cover: Photo | None
    entry_count: int
    like_count: int
    liked: bool = Field(description="whether the caller likes it (false for the public)")
    favorited: bool = Field(False, description="whether the caller keeps it in their favourites (收藏)")
    follower_count: int = Field(0, description="how many members follow it (never who)")
    followed: bool = Field(False, description="whether the caller follows it")
    comment_count: int
    version: int
    created_at: datetime
    updated_at: datetime


class EntryOut(BaseModel):
    id: str
    diary_id: str
    body: str
    text: str
    happened_on: date
    day: int
    media: list[Photo]
    scores: dict[str, int | None] | None
    author: dict[str, Any] | None
    is_mine: bool
    status: str
    like_count: int
    liked: bool = Field(description="whether the caller likes it (false for the public)")
    comment_count: int
    version: int
    created_at: datetime
