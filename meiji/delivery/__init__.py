"""Delivery: notifications that leave the service, as signed webhooks to the push gateway and as email.

Every notification writes its outbox rows in its own transaction (``outbox``); a worker
(``worker``) delivers them at least once, retrying with exponential backoff for 24 hours and
recording each attempt. Members choose what reaches them (``preferences``); legal notices reach
them whatever they chose.
"""

from __future__ import annotations

from kernel.clock import now


async def forget_account(account_id: int) -> None:
    """A deleted account: its choices, pending mail and codes go; nothing is sent to it any more."""
    from meiji.accounts.models import EmailChallenge, PasswordReset
    from meiji.delivery.models import Delivery, NotificationPreference

    await NotificationPreference.filter(account_id=account_id).delete()
    await Delivery.filter(account_id=account_id, status="pending").update(status="skipped", data={})
    await EmailChallenge.filter(account_id=account_id).delete()
    await PasswordReset.filter(account_id=account_id, used_at__isnull=True).update(used_at=now())
