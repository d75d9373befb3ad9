"""Shapes of the feed (动态)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class Because(BaseModel):
    """The followed thing that brought the item: never the author of an anonymous post."""

    type: Literal["account", "diary", "procedure", "question", "clinic", "doctor"]
    id: str


class FeedItem(BaseModel):
    type: Literal["diary", "diary_entry", "review", "question", "answer"]
    id: str
    created_at: datetime
    title: str
    preview: str
    because: Because
    diary_id: str | None = Field(None, description="for a diary entry: its diary")
    question_id: str | None = Field(None, description="for an answer: its question")
