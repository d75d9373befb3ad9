"""The member's own data: everything we hold about them (export), and leaving for good (deletion).

This is the one place that asks every room about one account, so it lives in the composition root.
"""

from __future__ import annotations

from typing import Any, Literal

from starlette.responses import Response
from tortoise.transactions import in_transaction

import content.services
import moderation.services
from kernel.clock import now
from kernel.web.endpoints import Api, Call, json_response
from kernel.web.problems import Problem
from meiji.accounts import handles
from meiji.accounts import services as account_services
from meiji.accounts.models import Account, Session
from meiji.accounts.routes import me_json
from meiji.accounts.schemas import DeleteMeIn
from meiji.delivery import forget_account as forget_deliveries
from meiji.services import Services, services_of

api = Api("privacy")


async def export(call: Call[Any, Any], account: Account) -> dict[str, Any]:
    services = services_of(call)
    media = await services.media.owned(account.id)
    return {
        "exported_at": now(),
        "account": await me_json(call, account),
        "content": await content.services.export_author(services, account.id),
        "media": [view.as_json() for view in media],
        "moderation": await moderation.services.export_account(account.id),
        "sessions": await Session.filter(account_id=account.id).count(),
    }


async def erase(services: Services, account: Account, mode: Literal["delete", "anonymize"]) -> None:
    """Delete the account; its posts are deleted or kept with the author removed for good."""
    await content.services.erase_author(services, account.id, mode)
    if mode == "delete":
        await services.media.erase_owner(account.id)
    else:
        await services.media.release(f"avatar:{account.id}")
    await moderation.services.forget_account(account.id)
    await forget_deliveries(account.id)
    async with in_transaction():
        await Session.filter(account_id=account.id).delete()
        await account_services.hold_handle(account.handle, services.settings.handle_hold_days)
        # The row stays so ids elsewhere keep meaning; nothing personal stays in it, and its key is free.
        gone = handles.placeholder(account.id)
        await Account.filter(id=account.id).update(
            status="deleted", handle=gone, handle_key=handles.lookalike_key(gone), password_hash="",
            bio="", birth_date=None, avatar_media_id=None, guardian_consent=False, email=None,
            email_verified_at=None)


@api.route("GET", "/v1/me/export", auth="member")
async def get_export(call: Call[None, None]) -> Response:
    """Everything the service holds about me, anonymous posts included, as one JSON document."""
    account = await account_services.get_account(call.member.id)
    data = await export(call, account)
    return json_response(data, headers={"Content-Disposition": 'attachment; filename="meiji-export.json"',
                                        "Cache-Control": "no-store"})


@api.route("DELETE", "/v1/me", body=DeleteMeIn, status=204, auth="member", errors=(403,),
           suspended_ok=True)
async def delete_me(call: Call[DeleteMeIn, None]) -> Response:
    """Delete my account: sessions end, sign-in fails, my profile answers 404."""
    account = await account_services.get_account(call.member.id)
    if not await account_services.password_matches(account.password_hash, call.body.password):
        raise Problem(403, "The password does not match.", errors=[{"field": "password",
                                                                    "message": "does not match"}])
    await erase(services_of(call), account, call.body.content)
    return Response(status_code=204)


routes = api.routes
