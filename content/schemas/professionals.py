"""Request and response shapes of professional accounts and official replies (官方回复)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from kernel.web.bodies import StrictText as Strict

BODY_MAX = 20_000


class ReplyIn(Strict):
    body: str = Field(min_length=1, max_length=BODY_MAX, description="limited HTML, stored sanitized")


class Speaker(BaseModel):
    """The clinic or doctor a professional account speaks for; never the account itself."""

    type: str = Field(description="clinic | doctor")
    id: str
    name: str


class ReplyOut(BaseModel):
    id: str
    review_id: str
    body: str
    text: str
    by: Speaker
    status: str
    version: int
    created_at: datetime
    updated_at: datetime


class LinkOut(BaseModel):
    account_id: str
    verified: Speaker | None


class DoctorMark(BaseModel):
    """``by_doctor`` on an answer written by a verified doctor under their name."""

    id: str
    name: str
    clinic_id: str | None
