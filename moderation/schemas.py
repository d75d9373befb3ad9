"""Request and response shapes of reports, notices, the queue, the log and notifications."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from kernel.vocabulary import ContentType
from kernel.web.bodies import Strict
from kernel.web.ids import IdNumber
from kernel.web.pagination import Page, PageQuery
from kernel.web.text import PlainLine, PlainLines
from moderation.vocabulary import (
    REPORTABLE,
    Action,
    DirectAction,
    ItemKind,
    ItemStatus,
    NoticeType,
    ReportReason,
)

# A notice may name any content type of ``kernel.vocabulary.ContentType``, one encyclopedia revision
# too: ``wiki_revision`` with id ``<slug>@<n>`` (or ``<page id>@<n>``); measures taken on it suppress
# that revision. A report names content (no revision) or an account: ``vocabulary.REPORTABLE``, a
# Literal built from that derived tuple, so the schema lists exactly those values (mypy reads a str).
if TYPE_CHECKING:
    ReportTarget = str
else:
    ReportTarget = Literal[REPORTABLE]

EMAIL = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"
# Digits with the separators people write (+86 138-0013-8000, (010) 6552 9988).
PHONE = r"^\+?[0-9][0-9 ()\-]{5,24}$"
MEDIA_ID = Field(min_length=1, max_length=40)


# --- reports -----------------------------------------------------------------------------------

class SuppressionIn(Strict):
    reason: str = Field(min_length=1, max_length=2000, description="why, for the audit log (e.g. 侵犯著作权)")


class ReportIn(Strict):
    target_type: ReportTarget
    target_id: str = Field(min_length=1, max_length=40)
    reason: ReportReason
    detail: PlainLines = Field("", max_length=2000)


class ReportOut(BaseModel):
    id: str
    target_type: str
    target_id: str
    reason: str
    detail: str
    created_at: datetime


# --- notices -----------------------------------------------------------------------------------

class Claimant(Strict):
    name: PlainLine = Field(min_length=1, max_length=100, description="real name of the rights holder or its agent")
    email: str = Field(pattern=EMAIL, max_length=200)
    phone: str = Field(pattern=PHONE, max_length=30)
    address: PlainLine = Field(min_length=4, max_length=300)
    organization: PlainLine | None = Field(None, max_length=200)
    id_document_media_id: str | None = Field(None, max_length=40)


class Agent(Strict):
    name: PlainLine = Field(min_length=1, max_length=100)
    authorization_media_id: str = MEDIA_ID


class Work(Strict):
    description: PlainLines = Field(min_length=1, max_length=5000)
    original_url: str | None = Field(None, max_length=2000, pattern=r"^https?://\S+$")
    proof_media_ids: list[str] = Field(default_factory=list, max_length=20)


class TargetRef(Strict):
    """A target by type and id, or by the URL of our content.

    One photo (of a diary, an entry, a review, or an avatar) is ``{"type": "photo", "id": "<media
    id>"}``, or ``{"url": ...}`` with any URL the service handed out for it: its public copy
    (``…/media/public/<id>/<token>/<variant>.webp`` on our hosts or under ``MEIJI_CDN_URL``),
    ``/v1/media/<id>`` or ``/v1/media/<id>/variants/<variant>``. Measures on it remove that photo
    alone: its URLs answer 451, and its post stays up with a placeholder naming the case.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"type": "diary", "id": "12"},
        {"type": "photo", "id": "k3vq7w2m5xj4c8n6p1r9t0yzab"},
        {"url": "https://m.meiji.example.cn/media/public/k3vq7w2m5xj4c8n6p1r9t0yzab/q2w3e4r5t6y7u8i9/large.webp"},
    ]})

    type: ContentType | None = Field(None, description=(
        "what the id names: a post type, wiki_revision (<slug>@<n>), or photo (one photo by its media id)"))
    id: str | None = Field(None, min_length=1, max_length=40,
                           description="the post's id, a revision's <slug>@<n>, or a photo's media id")
    url: str | None = Field(None, min_length=1, max_length=2000, description=(
        "instead of type and id: the URL of a post or of a photo on our hosts (MEIJI_PUBLIC_URL, "
        "MEIJI_SHARE_HOSTS) or, for a photo, under MEIJI_CDN_URL"))

    @model_validator(mode="after")
    def one_form(self) -> TargetRef:
        if self.url is None and (self.type is None or self.id is None):
            raise ValueError("give either {type, id} or {url}")
        if self.url is not None and (self.type is not None or self.id is not None):
            raise ValueError("give either {type, id} or {url}, not both")
        return self


class NoticeIn(Strict):
    notice_type: NoticeType
    claimant: Claimant
    agent: Agent | None = None
    work: Work
    targets: list[TargetRef] = Field(min_length=1, max_length=50)
    description: PlainLines = Field(min_length=1, max_length=10000)
    good_faith: Literal[True] = Field(description="the claimant believes in good faith the use is not authorised")
    accurate: Literal[True] = Field(description="the notice is accurate, under penalty of law")
    signature: PlainLine = Field(min_length=1, max_length=200, description="the claimant's name as signature")


class NoticeCreated(BaseModel):
    case_id: str
    status: str
    access_token: str | None = Field(description="shown once: follow the case with X-Case-Token; a replay "
                                                 "of the same Idempotency-Key withholds it")
    created_at: datetime
    withheld: list[str] | None = Field(None, description="on a replay: the fields shown only in the first answer")


class SupplementIn(Strict):
    description: PlainLines = Field(min_length=1, max_length=10000)
    proof_media_ids: list[str] = Field(default_factory=list, max_length=20)


class LegalActionIn(Strict):
    description: PlainLines = Field(min_length=1, max_length=10000)
    proof_media_ids: list[str] = Field(default_factory=list, max_length=20)


class WithdrawalIn(Strict):
    reason: PlainLines = Field("", max_length=2000)


class CounterNoticeIn(Strict):
    statement: PlainLines = Field(min_length=1, max_length=10000)
    name: PlainLine = Field(min_length=1, max_length=100)
    phone: str = Field(pattern=PHONE, max_length=30)
    address: PlainLine = Field(min_length=4, max_length=300)
    proof_media_ids: list[str] = Field(default_factory=list, max_length=20)
    accurate: Literal[True]
    signature: PlainLine = Field(min_length=1, max_length=200)


class CaseOut(BaseModel):
    case_id: str
    status: str
    notice_type: str
    created_at: datetime
    updated_at: datetime
    targets: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    counter_notices: list[dict[str, Any]]
    close_at: datetime | None = None
    restore_at: datetime | None = None
    close_calendar: str | None = Field(None, description="the calendar close_at was counted on: "
                                       "CN-statutory-<year>[-estimated] or clock")
    restore_calendar: str | None = Field(None, description="the calendar restore_at was counted on")


class CounterNoticeOut(BaseModel):
    id: str
    case_id: str
    status: str
    created_at: datetime


# --- the queue ---------------------------------------------------------------------------------

class QueueQuery(PageQuery):
    status: ItemStatus | None = None
    kind: ItemKind | None = None
    reason: ReportReason | NoticeType | None = Field(None, description="a report reason or a notice type")
    target_type: ReportTarget | None = None
    sort: Literal["due", "recent", "kind", "target_type"] = Field(
        "due", description="due: most urgent first; recent: newest first; kind, target_type: grouped by that "
                           "column, most urgent first within each group (reason is a filter: an item may have several)")


class TargetKey(Strict):
    type: ContentType = Field(description="a target of the notice as the case lists it (photo: one photo)")
    id: str = Field(min_length=1, max_length=40)


class DecisionIn(Strict):
    action: Action
    reason: PlainLines = Field(min_length=1, max_length=2000)
    targets: list[TargetKey] | None = Field(None, min_length=1, max_length=50, description=(
        "on a notice's remove: only these of its targets are removed; the others stay up"))


class ActionIn(Strict):
    target_type: ReportTarget = Field(description=(
        "a post type, account, or photo: one photo of a post or an avatar by its media id, taken down "
        "alone (its post or profile stays, showing a placeholder with the reason)"))
    target_id: str = Field(min_length=1, max_length=40)
    action: DirectAction
    reason: ReportReason = Field(description="the policy reason, shown to the public as the 410's reason")
    note: PlainLines = Field("", max_length=2000, description="for the log and the author's notification")


class ActionOut(BaseModel):
    target: dict[str, Any]
    action: str
    reason: str
    note: str
    log_id: str
    at: datetime


class NoteIn(Strict):
    body: PlainLines = Field(min_length=1, max_length=5000)


class NoteOut(BaseModel):
    id: str
    author_id: str
    body: str
    created_at: datetime


class SuspensionIn(Strict):
    until: datetime | None = Field(None, description="when it lifts itself; leave out for a permanent suspension")
    reason: PlainLines = Field(min_length=1, max_length=2000)

    @field_validator("until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone, e.g. 2026-12-01T00:00:00Z")
        return value


class SuspensionOut(BaseModel):
    id: str
    account_id: str
    cause: str
    reason: str
    until: datetime | None
    permanent: bool
    started_at: datetime
    ended_at: datetime | None


class AppealIn(Strict):
    target_type: ReportTarget
    target_id: str = Field(min_length=1, max_length=40)
    statement: PlainLines = Field(min_length=1, max_length=5000)


class AppealOut(BaseModel):
    id: str
    target_type: str
    target_id: str
    statement: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    due_at: datetime | None


class QueueItemOut(BaseModel):
    id: str
    kind: str
    target: dict[str, Any]
    reasons: dict[str, int]
    report_count: int
    due_at: datetime
    due_calendar: str = Field("clock", description="due times are hours on the plain clock, not legal periods")
    claimed_by: str | None
    claimed_until: datetime | None
    status: str
    case_id: str | None
    created_at: datetime
    history: list[dict[str, Any]] = Field(default_factory=list, description="earlier decided items on the target")
    author_strikes: list[dict[str, Any]] = Field(default_factory=list, description="the author's strikes this year")
    active_strikes: int = 0
    notes: list[NoteOut] = Field(default_factory=list, description="moderators' notes")
    appeal: dict[str, Any] | None = None


class ReinstatementIn(Strict):
    reason: PlainLines = Field(min_length=1, max_length=2000)


# --- the log and notifications -----------------------------------------------------------------

class LogQuery(PageQuery):
    target_type: str | None = Field(None, max_length=16)
    target_id: str | None = Field(None, max_length=40)
    actor_id: IdNumber | None = None
    case_id: str | None = Field(None, max_length=24)
    action: str | None = Field(None, max_length=32)


class NotificationQuery(PageQuery):
    unread: bool = False


class MarkReadIn(Strict):
    ids: list[str] | None = Field(None, max_length=100)
    all: bool = False

    @model_validator(mode="after")
    def one_form(self) -> MarkReadIn:
        if (self.ids is None) == (not self.all):
            raise ValueError("give either ids or all: true")
        return self


class MarkReadOut(BaseModel):
    updated: int


class Actor(BaseModel):
    kind: str = Field(description="member, moderator, system or claimant")
    id: str | None


class LogTarget(BaseModel):
    type: str
    id: str


class LogEntryOut(BaseModel):
    """One append-only audit entry."""

    id: str
    at: datetime
    actor: Actor
    action: str
    target: LogTarget | None
    case_id: str | None
    reason: str | None


class NotificationOut(BaseModel):
    id: str
    kind: str = Field(description="takedown, counter_notice, restored, strike, answer, comment, ...")
    payload: dict[str, Any]
    created_at: datetime
    read: bool
    read_at: datetime | None


class NotificationPage(Page[NotificationOut]):
    unread_count: int


# --- the public record -------------------------------------------------------------------------

_MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
# ``from`` is a Python keyword: the model is built with the field names the query string uses.
_MONTHS: dict[str, Any] = {
    "from": (str | None, Field(None, pattern=_MONTH, description="first month, YYYY-MM (China time); "
                               "default: 11 months before `to`")),
    "to": (str | None, Field(None, pattern=_MONTH, description="last month, YYYY-MM; default: this month. "
                             "At most 24 months from `from`")),
}
TransparencyQuery = create_model("TransparencyQuery", **_MONTHS)

# A published count: an integer, or "<N" when it is from 1 to below MEIJI_TRANSPARENCY_MIN_COUNT.
Shown = int | str


class TransparencyMonth(BaseModel):
    month: str = Field(description="YYYY-MM, a calendar month in China (UTC+8)")
    notices_by_type: dict[str, Shown] = Field(description="legal notices received, by notice type")
    measures_taken: Shown = Field(description="cases whose notice was upheld and acted on")
    counter_notices: Shown = Field(description="counter-notices (反通知) received")
    restorations: Shown = Field(description="posts restored under a legal case (counter-notice, withdrawal)")
    litigation_holds: Shown = Field(description="cases held because the claimant went to court")
    median_hours_to_first_action: float | None = Field(
        description="median hours from a notice of the month to a moderator's first decision on it; "
                    "null when fewer notices than the threshold were decided")
    reports_by_reason: dict[str, Shown] = Field(description="members' and the screener's reports, by reason")
    appeals: Shown = Field(description="appeals (申诉) filed")
    appeals_upheld: Shown = Field(description="appeals decided as upheld")
    overturns: Shown = Field(description="appeals decided as overturned")


class TransparencyOut(BaseModel):
    from_: str = Field(alias="from")
    to: str
    timezone: str
    min_count: int = Field(description="counts from 1 to below this are shown as \"<min_count\"")
    note: str
    months: list[TransparencyMonth]


class BlockedPhotoIn(Strict):
    media_id: str = Field(min_length=1, max_length=40, description="an upload showing the clinic's marketing image")
    reason: PlainLine = Field(min_length=1, max_length=500,
                              description="why it is listed, e.g. which clinic's campaign it comes from")


class BlockedPhotoOut(BaseModel):
    media_id: str
    reason: str
    log_id: str
    at: datetime
