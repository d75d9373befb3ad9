"""``/v1/me/notification-settings``: what reaches a member outside the app."""

from __future__ import annotations

from pydantic import BaseModel, Field

from kernel.web.bodies import Strict
from kernel.web.endpoints import Api, Call
from meiji.delivery import preferences

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


routes = api.routes
