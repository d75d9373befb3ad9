"""The delivery worker: sends due outbox rows at least once, with exponential backoff for 24 hours.

Several workers may run (each server process, ``meiji delivery run``): a worker takes a row by
moving its ``next_attempt_at`` ahead in one conditional update, so two never send the same row
at once; a worker that dies mid-send leaves the row to be taken again when that lease ends
(hence at least once, and the stable ``id`` the receiver de-duplicates on).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from kernel.clock import now
from kernel.settings import Settings
from meiji.accounts.models import Account
from meiji.delivery import letters, mail, webhooks
from meiji.delivery.models import Delivery, DeliveryAttempt
from meiji.delivery.webhooks import Outcome

log = logging.getLogger("meiji.delivery")

BATCH = 50
MAX_DELAY_SECONDS = 3600
# Rows whose data holds a secret (a code, a one-time link): emptied once sent or given up.
SECRET_KINDS = frozenset({"email_code", "password_reset", "guardian_consent"})


@dataclass
class Round:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0


def next_delay(settings: Settings, attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: the first retry delay, doubled each time, at most an hour."""
    seconds = min(settings.delivery_retry_seconds * 2 ** (attempts - 1), MAX_DELAY_SECONDS)
    return timedelta(seconds=seconds)


def lease(settings: Settings) -> timedelta:
    # Longer than one attempt can take: an SMTP or webhook timeout, plus room.
    return timedelta(seconds=max(60.0, 3 * settings.webhook_timeout_seconds))


async def _take(row: Delivery, settings: Settings, at: datetime) -> bool:
    taken = await Delivery.filter(id=row.id, status="pending", next_attempt_at=row.next_attempt_at).update(
        next_attempt_at=at + lease(settings))
    return taken == 1


async def _address(row: Delivery) -> str | None:
    if row.recipient:
        return row.recipient
    if row.account_id is None:
        return None
    account = await Account.get_or_none(id=row.account_id)
    if account is None or account.status == "deleted" or account.email_verified_at is None:
        return None
    return account.email


async def attempt(settings: Settings, row: Delivery) -> Outcome | None:
    """One try at ``row``; None when there is nowhere to send it (no webhook URL, no address)."""
    if row.channel == "webhook":
        if not settings.webhook_url:
            return None
        return await webhooks.post(settings, row, int(now().timestamp()))
    address = await _address(row)
    if address is None:
        return None
    subject, body = letters.compose(settings, row.kind, row.data)
    return await mail.send(settings, mail.message(settings, address, subject, body, row.id), row.id)


async def _record(settings: Settings, row: Delivery, outcome: Outcome | None, done: Round) -> None:
    at = now()
    if outcome is None:
        row.status = "skipped"
        done.skipped += 1
    else:
        await DeliveryAttempt.create(delivery_id=row.id, at=at, ok=outcome.ok, detail=outcome.detail[:200])
        row.attempts += 1
        if outcome.ok:
            row.status, row.delivered_at = "delivered", at
            done.delivered += 1
        else:
            retry_at = at + next_delay(settings, row.attempts)
            if retry_at > row.created_at + timedelta(seconds=settings.delivery_window_seconds):
                row.status = "failed"
                done.failed += 1
                log.warning("delivery %d (%s, %s) given up after %d attempts: %s", row.id, row.channel, row.kind,
                            row.attempts, outcome.detail)
            else:
                row.next_attempt_at = retry_at
                done.retried += 1
    if row.status != "pending" and row.kind in SECRET_KINDS:
        row.data = {}
    await row.save(update_fields=["status", "attempts", "next_attempt_at", "delivered_at", "data"])


# Finished rows (delivered, failed, skipped) and their attempts are kept this long, for support.
KEEP_DAYS = 30


async def prune() -> int:
    """Forget rows finished more than ``KEEP_DAYS`` ago, with their attempts; returns how many."""
    ids = [row.id for row in await Delivery.filter(status__in=("delivered", "failed", "skipped"),
                                                   created_at__lt=now() - timedelta(days=KEEP_DAYS))
           .limit(1000).only("id")]
    if not ids:
        return 0
    await DeliveryAttempt.filter(delivery_id__in=ids).delete()
    return await Delivery.filter(id__in=ids).delete()


async def run_once(settings: Settings) -> Round:
    """Send every due row once (those taken by another worker meanwhile are left to it)."""
    await prune()
    done = Round()
    while True:
        at = now()
        due = await Delivery.filter(status="pending", next_attempt_at__lte=at).order_by("next_attempt_at", "id") \
            .limit(BATCH)
        for row in due:
            if await _take(row, settings, at):
                outcome = await attempt(settings, row)
                await _record(settings, row, outcome, done)
            # The worker shares the event loop with requests (SQLite answers on it): they run
            # between two rows, not after a batch of a thousand.
            await asyncio.sleep(0)
        if len(due) < BATCH:
            return done


async def run(settings: Settings, *, once: bool) -> Round:
    """``meiji delivery run``: one round (``once``), or rounds every ``MEIJI_DELIVERY_SECONDS`` until stopped."""
    total = Round()
    while True:
        done = await run_once(settings)
        total.delivered += done.delivered
        total.retried += done.retried
        total.failed += done.failed
        total.skipped += done.skipped
        if once:
            return total
        await asyncio.sleep(settings.delivery_seconds)
