"""Shapes of likes (点赞)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from kernel.vocabulary import LIKEABLE, values

LIKE_TARGETS: tuple[str, ...] = values(LIKEABLE)
# The schema lists exactly the likeable types of the kernel's one enum (mypy reads a str).
if TYPE_CHECKING:
    LikeTarget = str
else:
    LikeTarget = Literal[LIKE_TARGETS]


class LikeOut(BaseModel):
    target_type: str
    target_id: str
    liked: bool
    like_count: int
