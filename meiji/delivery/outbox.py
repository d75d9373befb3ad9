"""Writing outbox rows, always inside the transaction that writes the notification itself.

The moderation room stores notifications and calls this through its ``Outbox`` seam, so a
notification and its deliveries are committed together or not at all.
"""

from __future__ import annotations

from typing import Any

from kernel.clock import now
from meiji.accounts.models import Account
from meiji.delivery.models import Delivery
from meiji.delivery.preferences import choices_of
from moderation.models import Notification


class DeliveryOutbox:
    """``moderation.services.notifications.Outbox`` over the delivery tables."""

    async def notification(self, row: Notification) -> None:
        """Queue a webhook (push) and, if the member verified an email and chose it, an email."""
        choices = await choices_of(row.account_id)
        data = dict(row.payload)
        at = now()
        if choices.wants("webhook", row.kind, data):
            await Delivery.create(channel="webhook", notification_id=row.id, account_id=row.account_id,
                                  kind=row.kind, data=data, created_at=row.created_at, next_attempt_at=at)
        account = await Account.get_or_none(id=row.account_id)
        if (account is not None and account.email and account.email_verified_at is not None
                and choices.wants("email", row.kind, data)):
            await Delivery.create(channel="email", notification_id=row.id, account_id=row.account_id,
                                  kind=row.kind, data=data, created_at=row.created_at, next_attempt_at=at)

    async def email(self, address: str, kind: str, data: dict[str, Any]) -> None:
        """Queue an email to someone without an account (a rights holder), whatever anyone chose."""
        at = now()
        await Delivery.create(channel="email", recipient=address, kind=kind, data=data, created_at=at,
                              next_attempt_at=at)


async def email_account(account_id: int, kind: str, data: dict[str, Any], *, address: str | None = None) -> None:
    """Queue an email to a member, to ``address`` when given (a code sent to an address not yet verified)."""
    at = now()
    await Delivery.create(channel="email", account_id=account_id, recipient=address, kind=kind, data=data,
                          created_at=at, next_attempt_at=at)
