"""Strikes and the repeat-infringer policy: three upheld cases within a year suspend the account.

One strike per upheld case and author (a notice, or a decision on reports), whatever the number
of that author's posts the case names. A restoration lifts the strike; a suspension the strikes
caused ends by itself once fewer than three are active.
"""

from __future__ import annotations

from datetime import timedelta

from kernel.clock import now
from kernel.web.problems import not_found
from moderation.interfaces import AccountControl, ModerationServices
from moderation.models import Strike
from moderation.services import audit, notifications, suspensions
from moderation.vocabulary import ACCOUNT, SuspensionCause

STRIKES_TO_SUSPEND = 3
STRIKE_WINDOW = timedelta(days=365)


async def active_count(account_id: int) -> int:
    return await Strike.filter(account_id=account_id, lifted_at__isnull=True,
                               created_at__gte=now() - STRIKE_WINDOW).count()


async def strike(services: ModerationServices, actor: audit.Actor, account_id: int, *, target_type: str, target_id: str,
                 case_id: str | None) -> None:
    """Count an upheld case against the author (once per case); the third within 365 days suspends."""
    if case_id is not None and await Strike.filter(account_id=account_id, case_id=case_id,
                                                   lifted_at__isnull=True).exists():
        return
    await Strike.create(account_id=account_id, target_type=target_type, target_id=target_id, case_id=case_id,
                        created_at=now())
    await audit.record(actor, "strike", target_type=ACCOUNT, target_id=str(account_id), case_id=case_id,
                       reason=f"{target_type}:{target_id}")
    count = await active_count(account_id)
    await notifications.send(account_id, "strike", {"case_id": case_id, "target": {"type": target_type,
                             "id": target_id}, "active_strikes": count, "suspend_at": STRIKES_TO_SUSPEND})
    if count >= STRIKES_TO_SUSPEND and await suspensions.begin(services, account_id, SuspensionCause.STRIKES,
                                                               case_id=case_id):
        await audit.record(audit.SYSTEM, "suspended", target_type=ACCOUNT, target_id=str(account_id),
                           case_id=case_id, reason=f"{count} strikes within 365 days")
        await notifications.send(account_id, "suspended", {"active_strikes": count})


async def lift(services: ModerationServices, actor: audit.Actor, account_id: int | None, *, case_id: str | None,
               target: tuple[str, str] | None = None, why: str = "") -> int:
    """A removal was undone: the strike of that case (or, for reports, of that target) stops counting.

    Each lifted strike is audited; a suspension the strikes caused ends once fewer than three are
    active, with a notification and an audit entry. Returns how many strikes were lifted.
    """
    query = Strike.filter(case_id=case_id, lifted_at__isnull=True)
    if account_id is not None:
        query = query.filter(account_id=account_id)
    if target is not None:
        query = query.filter(target_type=target[0], target_id=target[1])
    rows = await query
    if not rows:
        return 0
    await Strike.filter(id__in=[r.id for r in rows], lifted_at__isnull=True).update(lifted_at=now())
    for row in rows:
        await audit.record(actor, "strike_lifted", target_type=ACCOUNT, target_id=str(row.account_id),
                           case_id=case_id, reason=why or f"{row.target_type}:{row.target_id} restored")
    for author_id in sorted({r.account_id for r in rows}):
        await _review(services, author_id)
    return len(rows)


async def _review(services: ModerationServices, account_id: int) -> None:
    """End a suspension caused by strikes once fewer than three of them are active."""
    count = await active_count(account_id)
    if count >= STRIKES_TO_SUSPEND or not await suspensions.active(account_id, SuspensionCause.STRIKES):
        return
    why = f"{count} active strikes after a restoration"
    reinstated = await suspensions.end(services, account_id, (SuspensionCause.STRIKES,), why)
    await audit.record(audit.SYSTEM, "suspension_ended", target_type=ACCOUNT, target_id=str(account_id),
                       reason=why)
    if reinstated:
        await notifications.send(account_id, "reinstated", {"cause": "strikes_lifted", "active_strikes": count})


async def reinstate(services: ModerationServices, moderator_id: int, account_id: int, reason: str) -> None:
    """A moderator lifts a suspension (every cause); the strikes that led to it stop counting."""
    accounts: AccountControl = services.accounts
    if await accounts.handle_of(account_id) is None:
        raise not_found("account")
    await suspensions.end(services, account_id, None, reason)
    await Strike.filter(account_id=account_id, lifted_at__isnull=True).update(lifted_at=now())
    await audit.record(audit.moderator(moderator_id), "reinstated", target_type=ACCOUNT,
                       target_id=str(account_id), reason=reason)
    await notifications.send(account_id, "reinstated", {"cause": "moderator"})
