"""Strikes and the repeat-infringer policy: three upheld removals within a year suspend the account."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kernel.clock import now
from kernel.web.problems import not_found
from moderation.interfaces import AccountControl
from moderation.models import Strike
from moderation.services import audit, notifications

STRIKES_TO_SUSPEND = 3
STRIKE_WINDOW = timedelta(days=365)


async def active_count(account_id: int) -> int:
    return await Strike.filter(account_id=account_id, lifted_at__isnull=True,
                               created_at__gte=now() - STRIKE_WINDOW).count()


async def strike(state: Any, actor: audit.Actor, account_id: int, target_type: str, target_id: str,
                 case_id: str | None) -> None:
    """Count an upheld removal against the author; the third within 365 days suspends the account."""
    await Strike.create(account_id=account_id, target_type=target_type, target_id=target_id, case_id=case_id,
                        created_at=now())
    await audit.record(actor, "strike", target_type="account", target_id=str(account_id), case_id=case_id,
                       reason=f"{target_type}:{target_id}")
    count = await active_count(account_id)
    await notifications.send(account_id, "strike", {"case_id": case_id, "target": {"type": target_type,
                             "id": target_id}, "active_strikes": count, "suspend_at": STRIKES_TO_SUSPEND})
    if count >= STRIKES_TO_SUSPEND:
        accounts: AccountControl = state.accounts
        await accounts.suspend(account_id)
        await audit.record(audit.SYSTEM, "suspended", target_type="account", target_id=str(account_id),
                           case_id=case_id, reason=f"{count} strikes within 365 days")
        await notifications.send(account_id, "suspended", {"active_strikes": count})


async def lift_for(target_type: str, target_id: str, case_id: str | None) -> int:
    """A removal was undone (restored): its strike no longer counts."""
    return await Strike.filter(target_type=target_type, target_id=target_id, case_id=case_id,
                               lifted_at__isnull=True).update(lifted_at=now())


async def reinstate(state: Any, moderator_id: int, account_id: int, reason: str) -> None:
    """A moderator lifts a suspension; the strikes that led to it stop counting."""
    accounts: AccountControl = state.accounts
    if await accounts.handle_of(account_id) is None:
        raise not_found("account")
    await accounts.reinstate(account_id)
    await Strike.filter(account_id=account_id, lifted_at__isnull=True).update(lifted_at=now())
    await audit.record(audit.moderator(moderator_id), "reinstated", target_type="account",
                       target_id=str(account_id), reason=reason)
    await notifications.send(account_id, "reinstated", {})
