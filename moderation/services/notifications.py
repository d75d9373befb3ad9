"""Notifications to members: moderation outcomes, and what content sends (answers, comments)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from tortoise.transactions import in_transaction

import content.services as content
from kernel import db
from kernel.clock import now
from kernel.rows import Row
from kernel.rows import row as make_row
from kernel.vocabulary import PostStatus
from kernel.web.ids import parse_id
from kernel.web.pagination import page, page_by
from moderation.models import CounterNotice, Notice, Notification
from moderation.vocabulary import CounterStatus


class Outbox(Protocol):
    """Where notifications leave the service (the composition root's delivery outbox)."""

    async def recipient(self, account_id: int) -> object:
        """What the outbox needs to know of the member (their choices, their address), read before
        the notification's transaction begins, so the write lock is held for writes alone."""
        ...

    async def notification(self, row: Notification | Row, recipient: object) -> None:
        """Queue the deliveries of a notification just stored, in the caller's transaction."""
        ...

    async def email(self, address: str, kind: str, data: dict[str, Any]) -> None:
        """Queue an email to someone without an account (a rights holder), in the caller's transaction."""
        ...


# Set once by the composition root; ``send`` is called from many services that take no services object.
_outbox: list[Outbox] = []


def deliver_through(outbox: Outbox) -> None:
    """Write every later notification's deliveries to ``outbox`` (same transaction as the notification)."""
    _outbox[:] = [outbox]


async def email(address: str | None, kind: str, data: dict[str, Any]) -> None:
    """Queue an email to a rights holder (the caller's transaction commits it or nothing)."""
    if address and _outbox:
        await _outbox[0].email(address, kind, data)


# The steps of a legal case the claimant is told of by email, as the letter each sends.
CASE_LETTERS = {
    "received": "case_received",
    "info_requested": "case_incomplete",
    "measures_taken": "case_measures_taken",
    "counter_forwarded": "case_counter_forwarded",
    "restored": "case_restored",
    "closed": "case_closed",
    "rejected": "case_closed",
    "withdrawn": "case_closed",
}
# The moderator's words reach the claimant only where they tell what to do or why it ended.
CASE_NOTES = frozenset({"info_requested", "rejected", "closed"})


async def case_step(case_id: str, step: str, note: str, data: dict[str, Any] | None) -> None:
    """Email the claimant a step of their case (in the transaction that records the step), so they never poll."""
    letter = CASE_LETTERS.get(step)
    if step == "restored" and (data or {}).get("by") == "review":
        letter = "case_restored_on_review"  # a moderator accepted the counter-notice: no wait ran out
    if letter is None or not _outbox:
        return
    notice = await Notice.get_or_none(id=case_id)
    if notice is None:
        return
    facts: dict[str, Any] = {"case_id": case_id}
    if step in CASE_NOTES and note:
        facts["detail"] = note
    if step == "counter_forwarded":
        # The law forwards the poster's name, phone and address and starts the claimant's 15 days.
        # The counter-notice this step forwarded (several authors may answer one case, on one day).
        restore_at = (data or {}).get("restore_at")
        counter_id = parse_id(str((data or {}).get("counter_notice_id")))
        c = await CounterNotice.get_or_none(id=counter_id, notice_id=case_id, status=CounterStatus.FORWARDED) \
            if counter_id is not None else None
        if c is not None:
            facts["poster"] = {"name": c.name, "phone": c.phone, "address": c.address, "statement": c.statement}
        facts["restore_at"] = restore_at
    await email((notice.claimant or {}).get("email"), letter, facts)


class Notifications:
    """``content.interfaces.Notifier`` over the notifications table."""

    async def notify(self, account_id: int, kind: str, payload: dict[str, Any]) -> None:
        """Queue one notification for ``account_id``."""
        await send(account_id, kind, payload)


# A notification's row, written once: every comment and answer stores one, and Tortoise's ``create``
# cost more than the insert itself (``moderation.models.Notification``'s columns).
_INSERT = "INSERT INTO moderation_notification (account_id, kind, payload, created_at) VALUES (?, ?, ?, ?) RETURNING id"
_PAYLOAD = Notification._meta.fields_map["payload"]


async def send(account_id: int | None, kind: str, payload: dict[str, Any]) -> None:
    """Store one notification; nothing happens for a post without a known author."""
    if account_id is None:
        return
    recipients = [await outbox.recipient(account_id) for outbox in _outbox]
    at = now()
    async with in_transaction() as connection:
        [stored] = await connection.execute_query_dict(
            db.placeholders(_INSERT), [account_id, kind, _PAYLOAD.to_db_value(payload, Notification), at])
        row = make_row(id=stored["id"], account_id=account_id, kind=kind, payload=payload, created_at=at,
                       read_at=None)
        for outbox, recipient in zip(_outbox, recipients, strict=True):
            await outbox.notification(row, recipient)


def notification_json(n: Notification) -> dict[str, Any]:
    return {"id": str(n.id), "kind": n.kind, "payload": n.payload, "created_at": n.created_at,
            "read": n.read_at is not None, "read_at": n.read_at}


# A comment's or an answer's notification names its post, an excerpt and, unless it was posted
# anonymously, who wrote it: what the post was when the notification was sent. Shown, it says what
# the post is now. A post deleted, hidden or taken down since keeps no excerpt and no author
# (``available: false``); one kept without its author (an erased account's, anonymised) names nobody.
_POSTS = {"comment": ("comment_id", "commenter"), "answer": ("answer_id", "answerer")}


async def as_now(rows: Sequence[Notification]) -> list[dict[str, Any]]:
    """``notification_json`` of each row, its post read as it stands now."""
    named = [(n.kind, str(n.payload.get(_POSTS[n.kind][0]))) for n in rows
             if n.kind in _POSTS and isinstance(n.payload, dict)]
    posts = await content.find_targets(named) if named else {}
    shown = []
    for n in rows:
        item = notification_json(n)
        if n.kind in _POSTS and isinstance(n.payload, dict):
            key, person = _POSTS[n.kind]
            post = posts.get((n.kind, str(n.payload.get(key))))
            payload = {**n.payload, "available": post is not None and post.status == PostStatus.PUBLISHED}
            if not payload["available"]:
                payload.update({"excerpt": None, person: None})
            elif post is not None and (post.anonymous or post.author_id is None):
                payload[person] = None
            item["payload"] = payload
        shown.append(item)
    return shown


async def listing(account_id: int, *, unread: bool, limit: int, cursor: str | None) -> dict[str, Any]:
    """The member's notifications, newest first."""
    query = Notification.filter(account_id=account_id)
    if unread:
        query = query.filter(read_at__isnull=True)
    rows, after = await page_by(query, limit, cursor)
    result = page(await as_now(rows), after)
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
    return await as_now(rows)


async def forget(account_id: int) -> None:
    await Notification.filter(account_id=account_id).delete()
