"""The moderation room's service functions: what the composition root and the routes call."""

from __future__ import annotations

import hmac
from typing import Any

from kernel.clock import now
from kernel.settings import Settings
from kernel.tokens import token_hash
from kernel.web.ids import parse_id
from media.interfaces import Attachments
from moderation.interfaces import ModerationServices
from moderation.models import CounterNotice, Notice, QueueItem
from moderation.services import appeals, notices, notifications, reports, sanctions
from moderation.services.notifications import Notifications
from moderation.services.reports import AdScreener, PhotoReviews
from moderation.vocabulary import CounterStatus, ItemStatus

__all__ = ["AdScreener", "CaseTokens", "Notifications", "PhotoReviews", "build_case_access", "build_notifier",
           "build_photo_review", "build_screener", "export_account", "forget_account", "tick"]


async def tick(services: ModerationServices) -> dict[str, int]:
    """Run the timers that are due once: lapsed claims, closed windows, restorations after the wait.

    Idempotent and safe from two processes at once: each change is a conditional UPDATE that only
    one process wins.
    """
    moment = now()
    lapsed = await QueueItem.filter(status=ItemStatus.CLAIMED, claimed_until__lt=moment).update(
        status=ItemStatus.OPEN, claimed_by=None, claimed_until=None)
    closed = await notices.close_due(moment)
    restored = await notices.restore_due(services, moment)
    lifted = await sanctions.lift_due(services, moment)
    return {"claims_lapsed": lapsed, "cases_closed": closed, "cases_restored": restored,
            "suspensions_ended": lifted}


def build_notifier() -> Notifications:
    """The notifier content uses (answers, comments) and moderation uses (takedowns)."""
    return Notifications()


def build_screener(settings: Settings, media: Attachments | None = None) -> AdScreener:
    """The screener that queues advertising, off-platform contact details and, given the media
    room, diaries showing a listed clinic marketing image."""
    return AdScreener(settings, media)


class CaseTokens:
    """``media.interfaces.CaseAccess`` over legal cases: a case's token reads that case's evidence."""

    async def may_read(self, holder: str, case_token: str) -> bool:
        """Whether ``case_token`` opens media attached to ``holder`` (notice, counter-notice, legal action)."""
        kind, _, key = holder.partition(":")
        case_id: str | None = None
        if kind in ("notice", "legal"):
            case_id = key
        elif kind == "counter" and parse_id(key) is not None:
            # The claimant sees a counter-notice's proof once a moderator forwarded it, not before.
            counter = await CounterNotice.get_or_none(id=parse_id(key), status=CounterStatus.FORWARDED)
            case_id = counter.notice_id if counter else None
        if not case_id or not case_token:
            return False
        notice = await Notice.get_or_none(id=case_id)
        return notice is not None and hmac.compare_digest(notice.token_hash, token_hash(case_token))


def build_case_access() -> CaseTokens:
    return CaseTokens()


def build_photo_review(settings: Settings) -> PhotoReviews:
    """Where media hands uploads held for review (``MEIJI_FINGERPRINT_ACTION=review``): the queue."""
    return PhotoReviews(settings)


async def export_account(account_id: int) -> dict[str, Any]:
    """The account's moderation data for its export: notifications, reports filed, counter-notices, appeals."""
    counters = await CounterNotice.filter(author_id=account_id).order_by("id")
    return {
        "notifications": await notifications.export(account_id),
        "reports": await reports.export(account_id),
        "counter_notices": [{"id": str(c.id), "case_id": c.notice_id, "statement": c.statement, "name": c.name,
                             "phone": c.phone, "address": c.address, "signature": c.signature,
                             "status": c.status, "created_at": c.created_at} for c in counters],
        "appeals": await appeals.export(account_id),
    }


async def forget_account(account_id: int) -> None:
    """Account deletion: notifications go; reports keep ids and reasons but lose the member's words."""
    await notifications.forget(account_id)
    await reports.forget(account_id)
    await appeals.forget(account_id)
