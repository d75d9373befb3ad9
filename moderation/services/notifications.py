"""Notifications to members: moderation outcomes, and what content sends (answers, comments)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kernel.clock import now
from kernel.web.ids import parse_id
from kernel.web.pagination import page, page_by
from moderation.models import Notification


class Notifications:
    """``content.interfaces.Notifier`` over the notifications table."""

    async def notify(self, account_id: int, kind: str, payload: dict[str, Any]) -> None:
        """Queue one notification for ``account_id``."""
        await send(account_id, kind, payload)


async def send(account_id: int | None, kind: str, payload: dict[str, Any]) -> None:
    """Store one notification; nothing happens for a post without a known author."""
    if account_id is None:
        return
    await Notification.create(account_id=account_id, kind=kind, payload=payload, created_at=now())


def notification_json(n: Notification) -> dict[str, Any]:
    return {"id": str(n.id), "kind": n.kind, "payload": n.payload, "created_at": n.created_at,
            "read": n.read_at is not None, "read_at": n.read_at}


async def listing(account_id: int, *, unread: bool, limit: int, cursor: str | None) -> dict[str, Any]:
    """The member's notifications, newest first."""
    query = Notification.filter(account_id=account_id)
    if unread:
        query = query.filter(read_at__isnull=True)
    rows, after = await page_by(query, limit, cursor)
    result = page([notification_json(n) for n in rows], after)
    result["unread_count"] = await Notification.filter(account_id=account_id, read_at__isnull=True).count()
    return result


async def mark_read(account_id: int, ids: Sequence[str] | None) -> int:
    """Mark some (``ids``) or all (None) of the member's notifications read; returns how many changed."""
    query = Notification.filter(account_id=account_id, read_at__isnull=True)
    if ids is not None:
        numeric = [key for key in map(parse_id, ids) if key is not None]
        query = query.filter(id__in=numeric)
    return await query.update(read_at=now())


async def export(account_id: int) -> list[dict[str, Any]]:
    rows = await Notification.filter(account_id=account_id).order_by("id")
    return [notification_json(n) for n in rows]


async def forget(account_id: int) -> None:
    await Notification.filter(account_id=account_id).delete()
