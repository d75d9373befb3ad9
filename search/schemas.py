"""Request and response shapes of ``/v1/search`` and ``/v1/search/suggest``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kernel.web.pagination import PageQuery
from search.interfaces import DOC_TYPES

MAX_QUERY = 100


def _query_text(value: str) -> str:
    if not value.strip():
        raise ValueError("type some text to search for")
    return value


class SearchQuery(PageQuery):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=1, max_length=MAX_QUERY, description="Any text, 1-100 characters; operators, "
                   "quotes and wildcards are searched for as text.")
    type: str | None = Field(None, max_length=100, description="Comma-separated: diary,review,question,answer,wiki")
    procedure: str | None = Field(None, max_length=100)
    clinic_id: str | None = Field(None, max_length=40)
    sort: Literal["relevance", "recent"] = "relevance"

    @field_validator("q")
    @classmethod
    def _text(cls, value: str) -> str:
        return _query_text(value)

    @field_validator("type")
    @classmethod
    def _types(cls, value: str | None) -> str | None:
        if value is None:
            return None
        unknown = [t for t in value.split(",") if t.strip() not in DOC_TYPES]
        if unknown:
            raise ValueError(f"each type must be one of {', '.join(DOC_TYPES)}")
        return value

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.strip() for t in self.type.split(","))) if self.type else ()


class SuggestQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=1, max_length=MAX_QUERY, description="What the user typed so far: characters, "
                   "pinyin (shuangyanpi) or pinyin initials (syp).")
    limit: int = Field(10, ge=1, le=20)

    @field_validator("q")
    @classmethod
    def _text(cls, value: str) -> str:
        return _query_text(value)


class HitOut(BaseModel):
    type: str
    id: str
    title: str = Field(description="Plain text: escape it before showing it as HTML.")
    snippet: str = Field(description="HTML: escaped text around the matches, each match in <em>.")
    score: float
    created_at: datetime
    procedure: str | None
    match: Literal["exact", "sound"] = Field(
        "exact", description="exact: the text contains the query (or a name of its group); sound: it only "
        "sounds like it (pinyin such as shuangyanpi, a homophone typo such as 双眼脾 for 双眼皮). Every "
        "exact hit comes before the first sound hit; score orders hits of the same kind.",
        examples=["sound"])


class SearchPage(BaseModel):
    items: list[HitOut]
    total: int = Field(description="How many documents match; an estimate when total_is_estimate is true.")
    total_is_estimate: bool = Field(False, description="True when more documents match than the backend "
                                    "counts exactly (above 200: PostgreSQL's estimate, or an embedded index's "
                                    "exact hits without those that only sound like the query): show \"about N "
                                    "results\".")
    next_cursor: str | None


class SuggestionOut(BaseModel):
    text: str
    type: str = Field(description="procedure or wiki")


class SuggestionList(BaseModel):
    items: list[SuggestionOut]
