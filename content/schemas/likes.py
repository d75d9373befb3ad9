"""Shapes of likes (点赞)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

LikeTarget = Literal["diary", "diary_entry", "review", "question", "answer", "comment"]
LIKE_TARGETS: tuple[str, ...] = ("diary", "diary_entry", "review", "question", "answer", "comment")


class LikeOut(BaseModel):
    target_type: str
    target_id: str
    liked: bool
    like_count: int
