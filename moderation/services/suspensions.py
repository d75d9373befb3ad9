"""Suspensions: why an account is read-only, and the one place that makes it so or lifts it.

An account may be suspended for several causes at once (strikes, removal on reports); it is
reinstated only when none is left, so ending the strikes' suspension never lifts a removal.
"""

from __future__ import annotations

from collections.abc import Sequence

from kernel.clock import now
from moderation.interfaces import AccountControl, ModerationServices
from moderation.models import Suspension
from moderation.vocabulary import SuspensionCause


async def begin(services: ModerationServices, account_id: int, cause: SuspensionCause, *,
                case_id: str | None = None) -> bool:
    """Suspend the account for ``cause``; False when it already was for that cause."""
    accounts: AccountControl = services.accounts
    fresh = not await Suspension.filter(account_id=account_id, cause=cause, ended_at__isnull=True).exists()
    if fresh:
        await Suspension.create(account_id=account_id, cause=cause, case_id=case_id, started_at=now())
    await accounts.suspend(account_id)
    if cause == SuspensionCause.ACCOUNT_REMOVED:
        await accounts.hide_profile(account_id, True)
    return fresh


async def active(account_id: int, cause: SuspensionCause) -> bool:
    return await Suspension.filter(account_id=account_id, cause=cause, ended_at__isnull=True).exists()


async def profile_hidden(account_id: int) -> bool:
    """Whether the account's avatar and bio stay out of its public profile: it was removed on reports."""
    return await active(account_id, SuspensionCause.ACCOUNT_REMOVED)


async def end(services: ModerationServices, account_id: int, causes: Sequence[SuspensionCause] | None,
              reason: str) -> bool:
    """End the account's suspensions for ``causes`` (None: every cause); True when the account is
    active again, False when nothing ended or another cause still holds it."""
    accounts: AccountControl = services.accounts
    query = Suspension.filter(account_id=account_id, ended_at__isnull=True)
    if causes is not None:
        query = query.filter(cause__in=list(causes))
    ended = await query.update(ended_at=now(), end_reason=reason[:2000])
    if causes is None or SuspensionCause.ACCOUNT_REMOVED in causes:
        await accounts.hide_profile(account_id, False)
    if causes is None:
        # A moderator's reinstatement lifts every cause, older suspensions without a record too.
        await accounts.reinstate(account_id)
        return True
    if not ended or await Suspension.filter(account_id=account_id, ended_at__isnull=True).exists():
        return False
    await accounts.reinstate(account_id)
    return True
