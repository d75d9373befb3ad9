"""``/v1/me/notification-settings`` (what reaches a member outside the app), ``/v1/announcements`` and
``/v1/me/consents`` (accepting a new version of the policies)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from kernel.web.bodies import Strict, StrictText
from kernel.web.endpoints import Api, Call
from kernel.web.pagination import Page, PageQuery
from kernel.web.text import PlainLine
from meiji.delivery import announcements, preferences

api = Api("accounts")


class Kinds(Strict):
    answer: bool = True
    comment: bool = True
    reply: bool = True
    follow_update: bool = True
    like: bool = True
    moderation: bool = True


class NotificationSettingsIn(Strict):
    push: bool = Field(description="push notifications through the app's gateway; off means none, "
                                   "legal notices excepted")
    email: bool = Field(description="email, to a verified address")
    kinds: Kinds = Field(default_factory=Kinds)


class NotificationSettingsOut(BaseModel):
    push: bool
    email: bool
    kinds: dict[str, bool]


@api.route("GET", "/v1/me/notification-settings", response=NotificationSettingsOut, auth="member",
           suspended_ok=True)
async def get_settings(call: Call[None, None]) -> object:
    """What reaches me by push and by email; legal notices are delivered whatever I choose."""
    return (await preferences.choices_of(call.member.id)).as_json()


@api.route("PUT", "/v1/me/notification-settings", body=NotificationSettingsIn, response=NotificationSettingsOut,
           auth="member", suspended_ok=True)
async def put_settings(call: Call[NotificationSettingsIn, None]) -> object:
    """Choose what reaches me: push and email on or off, and which kinds of notification."""
    b = call.body
    chosen = await preferences.choose(call.member.id, b.push, b.email, b.kinds.model_dump())
    return chosen.as_json()


class AnnouncementIn(StrictText):
    title: PlainLine = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000, description="limited HTML, stored sanitized")
    kind: Literal["policy_update", "service_notice", "shutdown"]
    effective_at: AwareDatetime = Field(description="a shutdown at least 30 days ahead")
    policy_version: str | None = Field(None, min_length=1, max_length=40, pattern=r"^[\w.\-]+$",
                                       description="a policy update's version, which members accept")


class AnnouncementOut(BaseModel):
    id: str
    title: str
    body: str
    text: str
    kind: str
    effective_at: datetime
    policy_version: str | None
    created_at: datetime


class ConsentOut(BaseModel):
    policy_version: str
    accepted_at: datetime


@api.route("POST", "/v1/announcements", body=AnnouncementIn, response=AnnouncementOut, status=201, auth="admin",
           errors=(409,))
async def post_announcement(call: Call[AnnouncementIn, None]) -> object:
    """Announce to every member (admins): a policy update, a service notice, or a shutdown 30+ days ahead."""
    b = call.body
    return await announcements.publish(call.member.id, title=b.title, body=b.body, kind=b.kind,
                                       effective_at=b.effective_at, policy_version=b.policy_version)


@api.route("GET", "/v1/announcements", query=PageQuery, response=Page[AnnouncementOut])
async def list_announcements(call: Call[None, PageQuery]) -> object:
    """Every announcement, newest first (anyone)."""
    return await announcements.listing(call.query.limit, call.query.cursor)


@api.route("PUT", "/v1/me/consents/{policy_version}", response=ConsentOut, auth="member", suspended_ok=True,
           errors=(404,))
async def put_consent(call: Call[None, None]) -> object:
    """Accept a version of the policies (time and version are kept); the newest one lets me write again."""
    return await announcements.accept(call.member.id, call.path["policy_version"])


routes = api.routes
