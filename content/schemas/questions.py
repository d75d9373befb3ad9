"""Request and response shapes of questions, answers and votes (问答)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from content.schemas.professionals import DoctorMark
from kernel.web.bodies import StrictText as Strict
from kernel.web.pagination import PageQuery
from kernel.web.text import PlainLine

BODY_MAX = 20_000


class QuestionIn(Strict):
    title: PlainLine = Field(min_length=2, max_length=200)
    body: str = Field("", max_length=BODY_MAX, description="limited HTML, stored sanitized")
    procedure: str | None = Field(None, min_length=1, max_length=80, description="a procedure slug")
    anonymous: bool = False


class QuestionPatch(Strict):
    title: PlainLine | None = Field(None, min_length=2, max_length=200)
    body: str | None = Field(None, max_length=BODY_MAX)
    procedure: str | None = Field(None, min_length=1, max_length=80)


class QuestionQuery(PageQuery):
    procedure: str | None = Field(None, max_length=80)
    answered: bool | None = Field(None, description="true: has a published answer; false: none yet")
    answered_by_doctor: bool | None = Field(None, description="true: a verified doctor answered under their name; "
                                                              "false: none did")
    author_id: str | None = Field(None, max_length=20, description="never lists anonymous questions")


class AnswerIn(Strict):
    body: str = Field(min_length=1, max_length=BODY_MAX)
    anonymous: bool = False


class AnswerPatch(Strict):
    body: str = Field(min_length=1, max_length=BODY_MAX)


class AcceptIn(Strict):
    answer_id: str = Field(min_length=1, max_length=20)


class VoteIn(Strict):
    value: Literal[1, 0, -1]


class QuestionOut(BaseModel):
    id: str
    title: str
    body: str
    text: str
    procedure: str | None
    author: dict[str, Any] | None
    is_mine: bool = False
    anonymous: bool
    status: str
    answer_count: int
    answered: bool
    accepted_answer_id: str | None
    like_count: int
    liked: bool = False
    favorited: bool = Field(False, description="whether the caller keeps it in their favourites (收藏)")
    follower_count: int = Field(0, description="how many members follow it (never who)")
    followed: bool = Field(False, description="whether the caller follows it")
    version: int
    created_at: datetime
    updated_at: datetime


class AnswerOut(BaseModel):
    id: str
    question_id: str
    body: str
    text: str
    author: dict[str, Any] | None
    is_mine: bool = False
    anonymous: bool
    status: str
    accepted: bool
    by_doctor: DoctorMark | None = Field(None, description="the verified doctor who wrote it under their name")
    score: int
    my_vote: int = 0
    like_count: int
    liked: bool = False
    favorited: bool = Field(False, description="whether the caller keeps it in their favourites (收藏)")
    comment_count: int
    version: int
    created_at: datetime
    updated_at: datetime


class QuestionPage(BaseModel):
    items: list[QuestionOut]
    next_cursor: str | None


class AnswerPage(BaseModel):
    items: list[AnswerOut]
    next_cursor: str | None
