"""Request and response shapes of reference data: procedures, clinics, doctors."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from kernel.web.bodies import StrictText as Strict
from kernel.web.pagination import PageQuery
from kernel.web.text import PlainLine

SLUG = r"^[\w\-]{1,80}$"


class ProcedureIn(Strict):
    slug: str = Field(pattern=SLUG, description="stable key used by diaries, reviews and questions")
    name: PlainLine = Field(min_length=1, max_length=80)
    parent: str | None = Field(None, pattern=SLUG, description="slug of the parent procedure")
    aliases: list[PlainLine] = Field(default_factory=list, max_length=30,
                               description="other names: 重睑术, 割双眼皮 for 双眼皮")


class ProcedurePatch(Strict):
    name: PlainLine | None = Field(None, min_length=1, max_length=80)
    parent: str | None = Field(None, pattern=SLUG)
    aliases: list[PlainLine] | None = Field(None, max_length=30)


class ProcedureQuery(PageQuery):
    parent: str | None = Field(None, max_length=80)
    q: str | None = Field(None, max_length=80, description="matches names and aliases")


class ProcedureOut(BaseModel):
    slug: str
    name: str
    parent: str | None
    aliases: list[str]
    version: int
    follower_count: int = Field(0, description="how many members follow it (never who)")
    followed: bool = Field(False, description="whether the caller follows it")
    created_at: datetime
    updated_at: datetime


class ClinicIn(Strict):
    name: PlainLine = Field(min_length=1, max_length=120)
    city: PlainLine = Field(min_length=1, max_length=40)
    license_no: PlainLine | None = Field(None, max_length=80, description="医疗机构执业许可证 number")


class ClinicPatch(Strict):
    name: PlainLine | None = Field(None, min_length=1, max_length=120)
    city: PlainLine | None = Field(None, min_length=1, max_length=40)
    license_no: PlainLine | None = Field(None, max_length=80)


class ClinicQuery(PageQuery):
    city: str | None = Field(None, max_length=40)
    q: str | None = Field(None, max_length=80, description="part of the name (substring, 华美 finds 成都华美整形医院)")


class Rating(BaseModel):
    average: float | None
    count: int
    distribution: dict[str, int]
    scores: dict[str, float | None]


class ClinicOut(BaseModel):
    id: str
    name: str
    city: str
    license_no: str | None
    rating: Rating
    version: int
    follower_count: int = Field(0, description="how many members follow it (never who)")
    followed: bool = Field(False, description="whether the caller follows it")


class DoctorIn(Strict):
    name: PlainLine = Field(min_length=1, max_length=80)
    clinic_id: str | None = Field(None, max_length=20)
    title: PlainLine = Field("", max_length=80, description="主任医师, 副主任医师...")


class DoctorPatch(Strict):
    name: PlainLine | None = Field(None, min_length=1, max_length=80)
    clinic_id: str | None = Field(None, max_length=20)
    title: PlainLine | None = Field(None, max_length=80)


class DoctorQuery(PageQuery):
    clinic_id: str | None = Field(None, max_length=20)
    q: str | None = Field(None, max_length=80, description="part of the name (substring, 李 finds 李明)")


class DoctorOut(BaseModel):
    id: str
    name: str
    clinic_id: str | None
    title: str
    rating: Rating
    version: int
    follower_count: int = Field(0, description="how many members follow it (never who)")
    followed: bool = Field(False, description="whether the caller follows it")
