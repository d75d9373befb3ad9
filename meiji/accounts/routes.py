"""``/v1/accounts``, ``/v1/sessions`` and ``/v1/me``."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from content.services import follows, professionals
from kernel.web.auth import bearer_token
from kernel.web.endpoints import Api, Call, json_response
from kernel.web.etags import check_if_match, etag
from kernel.web.problems import invalid
from media.interfaces import Attachments, MediaError
from meiji.accounts import services
from meiji.accounts.models import Account
from meiji.accounts.schemas import (
    AccountIn,
    AccountOut,
    MeOut,
    MePatch,
    PasswordChangeIn,
    RoleIn,
    SessionIn,
    SessionOut,
)
from meiji.delivery import announcements
from meiji.services import services_of
from moderation.services.suspensions import profile_hidden

api = Api("accounts")
BUSY = "Too many passwords are being checked at once: retry after `Retry-After` seconds."


async def avatar_of(call: Call[Any, Any], account: Account) -> dict[str, object] | None:
    if not account.avatar_media_id:
        return None
    media: Attachments = services_of(call).media
    views = await media.views([account.avatar_media_id])
    view = views.get(account.avatar_media_id)
    return view.as_json() if view else None


async def public_json(call: Call[Any, Any], account: Account) -> dict[str, Any]:
    counts = await services_of(call).profile_counts(account.id)
    # Followers are a count, never a list; ``followed`` answers for the caller only.
    [follow_marks] = (await follows.marks(call.principal, "account", [str(account.id)])).values()
    # An account removed on reports keeps its handle in public, not its bio or avatar.
    hidden = account.status == "suspended" and await profile_hidden(account.id)
    return {"id": str(account.id), "handle": account.handle, "role": account.role,
            "bio": "" if hidden else account.bio, "avatar": None if hidden else await avatar_of(call, account),
            "created_at": account.created_at, "counts": counts, **follow_marks,
            "verified": await professionals.verified(account.id)}


async def me_json(call: Call[Any, Any], account: Account) -> dict[str, Any]:
    data = await public_json(call, account)
    # The member themself (and their export) still sees the bio a removal took off the public profile.
    data.update(bio=account.bio, birth_date=account.birth_date, status=account.status, version=account.version,
                avatar_media_id=account.avatar_media_id, email=account.email,
                email_verified=account.email_verified_at is not None,
                birth_date_corrected=account.birth_date_corrected_at is not None,
                awaiting_guardian=account.awaiting_guardian, policy_version_accepted=account.policy_version_accepted,
                policy_update_pending=account.policy_pending)
    return data


def me_response(data: dict[str, Any], account: Account, status: int = 200) -> Response:
    return json_response(data, status, headers={"ETag": etag("account", account.id, account.version)})


@api.route("POST", "/v1/accounts", body=AccountIn, response=MeOut, status=201, rate="signup",
           idempotent=True, errors={409: "The handle is taken, or held for 30 days after its account was deleted.",
                                    503: BUSY})
async def create_account(call: Call[AccountIn, None]) -> Response:
    """Sign up: a member account with a handle, a password and a birth date (under 14, with
    ``guardian_consent``); then sign in with ``POST /v1/sessions``. 409 when the handle is taken."""
    b = call.body
    account = await services.create_account(b.handle, b.password, b.birth_date, b.guardian_consent,
                                            guardian_email=b.guardian_email, public_url=call.settings.public_url,
                                            policy_version=await announcements.current_policy())
    return me_response(await me_json(call, account), account, 201)


@api.route("POST", "/v1/sessions", body=SessionIn, response=SessionOut, status=201, rate="login",
           errors={503: BUSY})
async def create_session(call: Call[SessionIn, None]) -> object:
    """Sign in: a bearer token for the account."""
    token, account = await services.sign_in(call.body.handle, call.body.password, call.settings.session_days,
                                            call.request.headers.get("user-agent", ""))
    return {"token": token, "account": await me_json(call, account)}


@api.route("DELETE", "/v1/sessions/current", status=204, auth="member", suspended_ok=True)
async def delete_session(call: Call[None, None]) -> Response:
    """Sign out: the token stops working at once."""
    token = bearer_token(call.request)
    assert token is not None
    await services.sign_out(token)
    return Response(status_code=204)


@api.route("PUT", "/v1/me/password", body=PasswordChangeIn, status=204, auth="member", rate="login",
           errors={403: "The current password does not match.", 409: "The password changed meanwhile.",
                   503: BUSY}, suspended_ok=True)
async def put_password(call: Call[PasswordChangeIn, None]) -> Response:
    """Change my password: this session goes on, every other session of the account ends."""
    token = bearer_token(call.request)
    assert token is not None
    await services.change_password(call.member.id, call.body.current_password, call.body.new_password, token)
    return Response(status_code=204)


@api.route("GET", "/v1/me", response=MeOut, auth="member")
async def get_me(call: Call[None, None]) -> Response:
    """My account."""
    account = await services.get_account(call.member.id)
    return me_response(await me_json(call, account), account)


@api.route("PATCH", "/v1/me", body=MePatch, response=MeOut, auth="member", errors=(409, 412))
async def patch_me(call: Call[MePatch, None]) -> Response:
    """Change my handle, bio or avatar."""
    account = await services.get_account(call.member.id)
    check_if_match(call.request, etag("account", account.id, account.version))
    b = call.body
    clear_avatar = "avatar_media_id" in b.model_fields_set and b.avatar_media_id is None
    if b.avatar_media_id is not None and b.avatar_media_id != account.avatar_media_id:
        media: Attachments = services_of(call).media
        try:
            await media.replace(f"avatar:{account.id}", [b.avatar_media_id], owner_id=account.id,
                                purposes=("avatar", "post"))
        except MediaError as exc:
            raise invalid("avatar_media_id", exc.message) from None
    elif clear_avatar:
        await services_of(call).media.release(f"avatar:{account.id}")
    account = await services.update_me(account, handle=b.handle, bio=b.bio, avatar_media_id=b.avatar_media_id,
                                       clear_avatar=clear_avatar)
    return me_response(await me_json(call, account), account)


@api.route("GET", "/v1/accounts/{id}", response=AccountOut)
async def get_account(call: Call[None, None]) -> Response:
    """A member's public profile; its counts leave out anonymous posts. Its ETag guards role changes."""
    account = await services.get_account(call.path["id"])
    return me_response(await public_json(call, account), account)


@api.route("PUT", "/v1/accounts/{id}/role", body=RoleIn, response=AccountOut, auth="admin", errors=(404, 412))
async def put_role(call: Call[RoleIn, None]) -> Response:
    """Give an account a role (admins only); with If-Match, only if the account is as last read (412)."""
    account = await services.get_account(call.path["id"])
    check_if_match(call.request, etag("account", account.id, account.version))
    # The version read is the one matched: a change in between answers 412 too, not a lost update.
    version = account.version if "if-match" in call.request.headers else None
    account = await services.set_role(str(account.id), call.body.role, version=version)
    return me_response(await public_json(call, account), account)


routes = api.routes
