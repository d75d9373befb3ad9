"""``/v1/me/sessions``, ``/v1/me/email``, ``/v1/password-resets``, ``/v1/me/birth-date`` and
``/v1/guardian-consents``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from starlette.responses import Response

from kernel.web.auth import bearer_token
from kernel.web.bodies import Strict
from kernel.web.endpoints import Api, Call
from kernel.web.text import PlainLines
from meiji.accounts import guardians, security
from meiji.accounts.routes import BUSY, me_json, me_response
from meiji.accounts.schemas import MeOut

api = Api("accounts")
EMAIL = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"


class SessionView(BaseModel):
    id: str
    created_at: datetime
    last_used_at: datetime
    user_agent: str
    current: bool = Field(description="the session this request came with")


class SessionList(BaseModel):
    items: list[SessionView]


class EmailIn(Strict):
    email: str = Field(max_length=254, pattern=EMAIL)


class CodeIn(Strict):
    code: str = Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")


class ResetIn(Strict):
    login: str = Field(min_length=1, max_length=254, description="a handle, or a verified email address")


class NewPasswordIn(Strict):
    new_password: str = Field(min_length=8, max_length=128)


class BirthDateIn(Strict):
    birth_date: date
    reason: PlainLines = Field(min_length=2, max_length=500, description="why the date on file was wrong")


def _token(call: Call[Any, Any]) -> str:
    token = bearer_token(call.request)
    assert token is not None
    return token


@api.route("GET", "/v1/me/sessions", response=SessionList, auth="member", suspended_ok=True)
async def list_sessions(call: Call[None, None]) -> object:
    """My signed-in sessions, newest first; ``current`` is this one."""
    return {"items": await security.sessions(call.member.id, _token(call))}


@api.route("DELETE", "/v1/me/sessions/{id}", status=204, auth="member", suspended_ok=True, errors=(404,))
async def revoke_session(call: Call[None, None]) -> Response:
    """End one of my sessions at once (another device's, or this one)."""
    await security.revoke(call.member.id, call.path["id"])
    return Response(status_code=204)


@api.route("PUT", "/v1/me/email", body=EmailIn, status=202, auth="member", rate="login", suspended_ok=True)
async def put_email(call: Call[EmailIn, None]) -> Response:
    """Ask to use an email address: a 6-digit code is mailed to it, valid 30 minutes."""
    await security.request_email(call.member.id, call.body.email)
    return Response(status_code=202)


@api.route("POST", "/v1/me/email/verification", body=CodeIn, status=204, auth="member", rate="login",
           suspended_ok=True, errors=(409,))
async def confirm_email(call: Call[CodeIn, None]) -> Response:
    """Confirm the address with the mailed code: ``email_verified`` becomes true on ``/v1/me``."""
    await security.verify_email(call.member.id, call.body.code)
    return Response(status_code=204)


@api.route("POST", "/v1/password-resets", body=ResetIn, status=202, rate="login")
async def post_reset(call: Call[ResetIn, None]) -> Response:
    """Forgot my password: a one-time link, valid 30 minutes, goes to the account's verified email.

    The answer is 202 whether or not such an account exists."""
    await security.request_reset(call.body.login.strip(), call.settings.public_url)
    return Response(status_code=202)


@api.route("POST", "/v1/password-resets/{token}", body=NewPasswordIn, status=204, rate="login",
           errors={404: "The link is unknown, used or older than 30 minutes.", 503: BUSY})
async def use_reset(call: Call[NewPasswordIn, None]) -> Response:
    """Set a new password with the mailed link: the link is used up and every session of the account ends."""
    await security.reset_password(call.path["token"], call.body.new_password)
    return Response(status_code=204)


@api.route("PUT", "/v1/me/birth-date", body=BirthDateIn, response=MeOut, auth="member", suspended_ok=True,
           errors=(409,))
async def put_birth_date(call: Call[BirthDateIn, None]) -> Response:
    """Correct my birth date, once, saying why (kept with the correction); 409 the second time."""
    account = await security.correct_birth_date(call.member.id, call.body.birth_date, call.body.reason)
    return me_response(await me_json(call, account), account)


class GuardianConsentOut(BaseModel):
    handle: str = Field(description="the account the guardian is asked about")
    requested_at: datetime
    confirmed_at: datetime | None


@api.route("GET", "/v1/guardian-consents/{token}", response=GuardianConsentOut, errors=(404,))
async def get_guardian_consent(call: Call[None, None]) -> object:
    """What the emailed link asks a guardian to confirm: the account of a member under 14."""
    consent, account = await guardians.consent_for(call.path["token"])
    return {"handle": account.handle, "requested_at": consent.requested_at, "confirmed_at": consent.confirmed_at}


@api.route("POST", "/v1/guardian-consents/{token}", response=GuardianConsentOut, errors=(404,))
async def confirm_guardian_consent(call: Call[None, None]) -> object:
    """The guardian confirms by the emailed link: the account may write from now on (the consent is kept)."""
    consent = await guardians.confirm(call.path["token"])
    _, account = await guardians.consent_for(call.path["token"])
    return {"handle": account.handle, "requested_at": consent.requested_at, "confirmed_at": consent.confirmed_at}


routes = api.routes
