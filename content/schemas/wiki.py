"""Request and response shapes of the encyclopedia (百科)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, create_model, field_validator, model_validator

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


FACT_NAMES = tuple(Facts.model_fields)

# 医疗器械注册证: 国械注准/进/许 (NMPA) or a province's 械注准 (粤械注准...), then year, class, serial.
_DEVICE_NO = re.compile(r"^(?:国|[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼])械注[准进许]\d{11}$",
                        re.ASCII)
# 药品批准文号 国药准字 H/Z/S/J/B/T/F + 8 digits; an imported medicine's 注册证号 is a letter and 8 digits.
_DRUG_NO = re.compile(r"^(?:国药准字[HZSJBTF]|[HSZB])\d{8}$", re.ASCII)
APPROVAL_EXAMPLE = "国械注准20153130000"


def approval_number(value: str) -> str:
    """The number as registers print it (spaces and a trailing 号 dropped, letters upper case), or ValueError."""
    clean = re.sub(r"\s+", "", value).upper().removesuffix("号")
    if not (_DEVICE_NO.fullmatch(clean) or _DRUG_NO.fullmatch(clean)):
        raise ValueError("expected a registration number such as 国械注准20153130000, 粤械注准20172130001 "
                         "or 国药准字H20059990")
    return clean


class Material(Strict):
    """One material used by the procedure (材料): a filler, implant, device or drug."""

    name: PlainLine = Field(min_length=1, max_length=120, description="e.g. 交联透明质酸钠凝胶")
    kind: Literal["filler", "implant", "device", "drug", "other"]
    brand: PlainLine | None = Field(None, max_length=120, description="brand or maker, e.g. 乔雅登")
    approval_no: str | None = Field(
        None, max_length=40, description="registration number: 国械注准/进/许 or a province's 械注准 followed by "
        "11 digits, or 国药准字 with a letter and 8 digits; stored without spaces")
    note: PlainLine | None = Field(None, max_length=500)

    @field_validator("approval_no")
    @classmethod
    def _approval(cls, value: str | None) -> str | None:
        return approval_number(value) if value else None


class Citation(Strict):
    """A source for one fact of the page."""

    title: PlainLine = Field(min_length=1, max_length=200)
    url: str = Field(max_length=2000, description="http or https only")
    publisher: PlainLine | None = Field(None, max_length=120)
    accessed_on: date | None = Field(None, description="when the editor read the source (YYYY-MM-DD)")

    @field_validator("url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/?#<>\"]+[^\s<>\"]*$", value, re.IGNORECASE):
            raise ValueError("must be an http:// or https:// address")
        return value


class WikiIn(Strict):
    title: PlainLine = Field(min_length=1, max_length=120)
    aliases: list[PlainLine] = Field(default_factory=list, max_length=30)
    summary: PlainLine = Field("", max_length=2000)
    body: str = Field("", max_length=20_000, description="limited HTML, stored sanitized")
    facts: Facts = Field(default_factory=lambda: Facts.model_validate({}))
    procedure: str | None = Field(None, min_length=1, max_length=80)
    materials: list[Material] = Field(default_factory=list, max_length=30,
                                      description="材料: fillers, implants, devices and drugs the procedure uses")
    citations: dict[str, Annotated[list[Citation], Field(max_length=10)]] = Field(
        default_factory=dict, description="sources per fact: keys are names of `facts` fields that the page "
        "states (price_min_cny, recovery_days, risks...), each with up to 10 citations")
    comment: PlainLine = Field("", max_length=500, description="what this revision changed")


class RevertIn(Strict):
    revision: IdNumber
    comment: PlainLine = Field("", max_length=500)


# ``?from=3&to=7``: ``from`` is a Python keyword, so the model is built rather than declared.
_DIFF_SIDES: dict[str, Any] = {
    "from": (int, Field(ge=1, le=2_147_483_647, description="the older revision's number", examples=[1])),
    "to": (int, Field(ge=1, le=2_147_483_647, description="the newer revision's number", examples=[2]))}
DiffQuery: type[BaseModel] = create_model(
    "DiffQuery", __doc__="The two revisions to compare, in either order.", **_DIFF_SIDES)


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
    materials: list[dict[str, Any]] = Field(description="材料: {name, kind, brand, approval_no, note}")
    citations: dict[str, list[dict[str, Any]]] = Field(
        description="sources per fact name: [{title, url, publisher, accessed_on}]")
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
    materials: list[dict[str, Any]] | None
    citations: dict[str, list[dict[str, Any]]] | None
    procedure: str | None


class WikiPage(BaseModel):
    items: list[WikiSummaryOut]
    next_cursor: str | None


class RevisionPage(BaseModel):
    items: list[RevisionOut]
    next_cursor: str | None


class DiffSide(BaseModel):
    number: int
    author: dict[str, Any] | None
    created_at: datetime
    suppressed: bool


class DiffOut(BaseModel):
    """What changed between two revisions. Content fields are null to all but moderators when either
    revision is suppressed: a diff would otherwise show the suppressed text."""

    slug: str
    from_: DiffSide = Field(alias="from")
    to: DiffSide
    changed: list[str] | None = Field(description="names of the fields that differ (body, facts, materials...)")
    fields: dict[str, dict[str, Any]] | None = Field(
        description="{field: {from, to}} for each changed field but body and text (see `lines`)")
    lines: list[str] | None = Field(description="unified line diff of the plain text (difflib)")
