"""Request and response shapes of the encyclopedia (百科)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from kernel.web.bodies import StrictText as Strict
from kernel.web.ids import IdNumber
from kernel.web.pagination import PageQuery
from kernel.web.text import PlainLine

SLUG = r"^[\w-]{1,80}$"


class Facts(Strict):
    price_min_cny: int | None = Field(None, ge=0, le=10_000_000)
    price_max_cny: int | None = Field(None, ge=0, le=10_000_000)
    recovery_days: int | None = Field(None, ge=0, le=3650)
    risks: list[PlainLine] = Field(default_factory=list, max_length=50)
    suitable_for: PlainLine = Field("", max_length=2000)
    not_suitable_for: PlainLine = Field("", max_length=2000)

    @model_validator(mode="after")
    def _price_range(self) -> Facts:
        if (self.price_min_cny is not None and self.price_max_cny is not None
                and self.price_max_cny < self.price_min_cny):
            raise ValueError("price_max_cny must not be below price_min_cny")
        return self


class WikiIn(Strict):
    title: PlainLine = Field(min_length=1, max_length=120)
    aliases: list[PlainLine] = Field(default_factory=list, max_length=30)
    summary: PlainLine = Field("", max_length=2000)
    body: str = Field("", max_length=20_000, description="limited HTML, stored sanitized")
    facts: Facts = Field(default_factory=lambda: Facts.model_validate({}))
    procedure: str | None = Field(None, min_length=1, max_length=80)
    comment: PlainLine = Field("", max_length=500, description="what this revision changed")


class RevertIn(Strict):
    revision: IdNumber
    comment: PlainLine = Field("", max_length=500)


class WikiQuery(PageQuery):
    procedure: str | None = Field(None, max_length=80)


class WikiOut(BaseModel):
    slug: str
    title: str
    aliases: list[str]
    summary: str
    body: str
    text: str
    facts: dict[str, Any]
    procedure: str | None
    revision: int
    version: int
    status: str
    created_at: datetime
    updated_at: datetime


class WikiSummaryOut(BaseModel):
    slug: str
    title: str
    aliases: list[str]
    summary: str
    procedure: str | None
    revision: int
    updated_at: datetime


class RevisionOut(BaseModel):
    number: int
    title: str | None = Field(description="null while the revision is suppressed (but to moderators)")
    comment: str | None = Field(description="null while the revision is suppressed (but to moderators)")
    author: dict[str, Any] | None
    reverted_from: int | None
    created_at: datetime
    suppressed: bool = Field(description="a moderator hid this revision's content from the public")
    suppression: dict[str, Any] | None = Field(
        None, description="moderators only: {at, case_id, reason} of a suppressed revision")


class RevisionFullOut(RevisionOut):
    """One revision; its content fields are null to all but moderators while it is suppressed."""

    slug: str
    aliases: list[str] | None
    summary: str | None
    body: str | None
    text: str | None
    facts: dict[str, Any] | None
    procedure: str | None


class WikiPage(BaseModel):
    items: list[WikiSummaryOut]
    next_cursor: str | None


class RevisionPage(BaseModel):
    items: list[RevisionOut]
    next_cursor: str | None
