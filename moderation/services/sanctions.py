"""A moderator's own suspensions: until a time (the scheduler lifts them) or permanent.

They are one more cause of ``moderation_suspension`` (``moderator``), beside strikes and removal on
reports: the account is active again only once no cause holds it. Moderators act on members only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kernel.clock import now
from kernel.vocabulary import STAFF
from kernel.web.problems import Problem, invalid, not_found
from moderation.interfaces import ModerationServices
from moderation.models import Suspension
from moderation.services import audit, notifications
from moderation.vocabulary import ACCOUNT, SuspensionCause


def suspension_json(row: Suspension) -> dict[str, Any]:
    return {"id": str(row.id), "account_id": str(row.account_id), "cause": row.cause, "reason": row.reason,
            "until": row.until, "permanent": row.until is None, "started_at": row.started_at,
            "ended_at": row.ended_at}


async def members_only(services: ModerationServices, account_id: int) -> None:
    """404 for no such account; 403 for a moderator's or admin's (they answer to admins, by role)."""
    role = await services.accounts.role_of(account_id)
    if role is None:
        raise not_found("account")
    if role in STAFF:
        raise Problem(403, "Moderators act on members only: an admin changes a moderator's or admin's role first.")


async def suspend(services: ModerationServices, moderator_id: int, account_id: int, *, until: datetime | None,
                  reason: str) -> Suspension:
    """Suspend a member until ``until`` (None: permanently); a new suspension replaces the moderator's
    earlier one, so the latest decision says when it ends."""
    await members_only(services, account_id)
    moment = now()
    if until is not None and until <= moment:
        raise invalid("until", "must be in the future (leave it out for a permanent suspension)")
    if moderator_id == account_id:
        raise invalid("id", "a moderator does not suspend their own account")
    await Suspension.filter(account_id=account_id, cause=SuspensionCause.MODERATOR, ended_at__isnull=True).update(
        ended_at=moment, end_reason="replaced by a later suspension")
    row = await Suspension.create(account_id=account_id, cause=SuspensionCause.MODERATOR, started_at=moment,
                                  by_id=moderator_id, until=until, reason=reason[:2000])
    await services.accounts.suspend(account_id)
    until_text = until.isoformat() if until else "permanent"
    await audit.record(audit.moderator(moderator_id), "suspended", target_type=ACCOUNT, target_id=str(account_id),
                       reason=f"{reason} (until {until_text})")
    await notifications.send(account_id, "suspended", {"cause": SuspensionCause.MODERATOR.value, "until": until,
                                                       "reason": reason})
    return row


async def lift_due(services: ModerationServices, moment: datetime) -> int:
    """End every moderator's suspension whose time has come (the scheduler); returns how many ended.

    Each ends through a conditional UPDATE, so of two schedulers only one ends it and tells the member.
    """
    ended = 0
    for row in await Suspension.filter(cause=SuspensionCause.MODERATOR, ended_at__isnull=True, until__lte=moment):
        if not await Suspension.filter(id=row.id, ended_at__isnull=True).update(ended_at=moment,
                                                                                end_reason="its time ended"):
            continue
        ended += 1
        await audit.record(audit.SYSTEM, "suspension_ended", target_type=ACCOUNT, target_id=str(row.account_id),
                           reason="the suspension's time ended")
        # Another cause (strikes, removal on reports) may still hold the account.
        if not await Suspension.filter(account_id=row.account_id, ended_at__isnull=True).exists():
            await services.accounts.reinstate(row.account_id)
            await notifications.send(row.account_id, "reinstated", {"cause": "suspension_ended"})
    return ended
