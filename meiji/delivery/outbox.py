"""Writing outbox rows, always inside the transaction that writes the notification itself.

The moderation room stores notifications and calls this through its ``Outbox`` seam, so a
notification and its deliveries are committed together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kernel import db
from kernel.clock import now
from kernel.rows import Row, fetch
from meiji.accounts.models import Account
from meiji.delivery.models import Delivery
from meiji.delivery.preferences import Choices, choices_of
from moderation.models import Notification

# A delivery's row, written once: every notification queues one or two, and Tortoise's ``create``
# cost more than the insert itself (``meiji.delivery.models.Delivery``'s columns).
_INSERT = ("INSERT INTO delivery_outbox (channel, notification_id, account_id, kind, data, created_at, status, "
           "attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?)")
_DATA = Delivery._meta.fields_map["data"]


async def _queue(channel: str, row: Notification | Row, data: dict[str, Any], at: datetime) -> None:
    """One delivery of a notification, due at once."""
    await db.connection().execute_query(db.placeholders(_INSERT), [
        channel, row.id, row.account_id, row.kind, _DATA.to_db_value(data, Delivery), row.created_at, at])


@dataclass(frozen=True)
class Recipient:
    choices: Choices
    verified_email: bool


class DeliveryOutbox:
    """``moderation.services.notifications.Outbox`` over the delivery tables."""

    async def recipient(self, account_id: int) -> Recipient:
        """The member's choices and whether they have a verified address to email."""
        choices = await choices_of(account_id)
        found = await fetch(Account.filter(id=account_id).only("id", "email", "email_verified_at").limit(1))
        verified = bool(found) and bool(found[0].email) and found[0].email_verified_at is not None
        return Recipient(choices, verified)

    async def notification(self, row: Notification | Row, recipient: object) -> None:
        """Queue a webhook (push) and, if the member verified an email and chose it, an email."""
        assert isinstance(recipient, Recipient)
        data = dict(row.payload)
        at = now()
        if recipient.choices.wants("webhook", row.kind, data):
            await _queue("webhook", row, data, at)
        if recipient.verified_email and recipient.choices.wants("email", row.kind, data):
            await _queue("email", row, data, at)

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
