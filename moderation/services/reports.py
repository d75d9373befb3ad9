"""Reports (举报) from members, auto-hiding, and the screener's system reports."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import content.services as content
from content.interfaces import Published
from kernel.clock import now
from kernel.settings import Settings
from kernel.vocabulary import ContentType, PostStatus
from kernel.web.auth import Principal
from kernel.web.problems import invalid, not_found
from media.interfaces import Attachments
from moderation.interfaces import ModerationServices
from moderation.models import QueueItem, Report
from moderation.services import audit, blocklist, notifications, queue, targets, weights
from moderation.vocabulary import ACCOUNT, ItemKind, ReportReason

log = logging.getLogger("meiji.moderation")


def report_json(report: Report) -> dict[str, Any]:
    return {"id": str(report.id), "target_type": report.target_type, "target_id": report.target_id,
            "reason": report.reason, "detail": report.detail, "created_at": report.created_at}


async def file_report(services: ModerationServices, reporter: Principal, *, target_type: str, target_id: str,
                      reason: ReportReason,
                      detail: str) -> tuple[Report, bool]:
    """The reporter's report of the target, and whether it is new (the same reporter gets the first back)."""
    settings: Settings = services.settings
    first = await Report.get_or_none(reporter_id=reporter.id, target_type=target_type, target_id=target_id)
    if first is not None:
        return first, False
    info = await targets.find(services, target_type, target_id)
    if info is None or info.status != PostStatus.PUBLISHED:
        raise not_found("target")
    if info.author_id == reporter.id:
        raise invalid("target_id", "you cannot report your own content or account")
    async with in_transaction():
        item = await queue.enqueue(target_type, target_id, ItemKind.REPORT,
                                   due_at=now() + timedelta(seconds=settings.report_due_seconds))
        try:
            async with in_transaction():  # a savepoint, so a duplicate leaves the transaction usable
                report = await Report.create(reporter_id=reporter.id, target_type=target_type,
                                             target_id=target_id, reason=reason, detail=detail, item_id=item.id,
                                             created_at=now())
        except IntegrityError:
            report = None
        if report is not None:
            await audit.record(audit.member(reporter.id), "report_filed", target_type=target_type,
                               target_id=target_id, case_id=item.case_id, reason=reason)
    if report is None:  # the same reporter, twice at once: the first one wins
        return await Report.get(reporter_id=reporter.id, target_type=target_type, target_id=target_id), False
    await _maybe_hide(services, item, settings.autohide_reports)
    return report, True


async def _maybe_hide(services: ModerationServices, item: QueueItem, threshold: int) -> None:
    """Hide the target pending review once its reporters weigh ``threshold`` (``weights``: fresh
    accounts that never published weigh nothing, repeatedly rejected reporters half)."""
    if item.target_type == ACCOUNT:
        return  # an account is not hidden on reports alone; a moderator decides
    reporter_ids = await Report.filter(item_id=item.id, reporter_id__isnull=False).values_list("reporter_id",
                                                                                               flat=True)
    # Clinic staff and doctors reporting a review or an official reply queue it and weigh nothing.
    interested = await content.professionals.unweighted_reporters(item.target_type,
                                                                  [int(str(r)) for r in reporter_ids])
    reporter_ids = [r for r in reporter_ids if int(str(r)) not in interested]
    reporters = len(reporter_ids)
    if reporters < threshold or await weights.total(services, [int(str(r)) for r in reporter_ids]) < threshold:
        return
    # Only the request that flips the flag hides the target (and tells the author).
    if not await QueueItem.filter(id=item.id, hidden=False, live_key__isnull=False).update(hidden=True):
        return
    info = await targets.find(services, item.target_type, item.target_id)
    if info is None or info.status != PostStatus.PUBLISHED:
        return
    await targets.set_status(services, info, PostStatus.HIDDEN, reason="reported")
    await audit.record(audit.SYSTEM, "auto_hidden", target_type=item.target_type, target_id=item.target_id,
                       reason=f"{reporters} reports")
    await notifications.send(info.author_id, "hidden", {"target": targets.summary(info), "reason": "reported",
                                                        "status": "hidden"})


# --- the screener --------------------------------------------------------------------------------

# Off-platform contact details: how before/after marketing by clinics moves patients off the platform.
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("wechat id", re.compile(r"(?:微信|威信|薇信|徽信|v信|vx|wx|weixin|wechat)\s*(?:号|id)?\s*[:：]?\s*"
                             r"[a-z][-_a-z0-9]{5,19}", re.IGNORECASE)),
    ("qq id", re.compile(r"(?:qq|扣扣|企鹅)\s*(?:号|群)?\s*[:：]?\s*[1-9][0-9]{4,11}", re.IGNORECASE)),
    ("phone number", re.compile(r"(?<![0-9])(?:\+?86[\s-]?)?1[3-9][0-9](?:[\s-]?[0-9]{4}){2}(?![0-9])"
                                r"|(?<![0-9])0[1-9][0-9]{1,2}-[0-9]{7,8}(?![0-9])")),
    ("payment link", re.compile(r"qr\.alipay\.com|alipays?://|wxp://|pay\.weixin\.qq\.com|u\.wechat\.com"
                                r"|paypal\.me/|(?:收款|付款)码", re.IGNORECASE)),
)


def findings(text: str, ad_words: tuple[str, ...]) -> list[str]:
    """What in ``text`` looks like advertising: rule names and listed words (never the text itself)."""
    found = [name for name, pattern in _RULES if pattern.search(text)]
    lowered = text.lower()
    found.extend(f"word {word}" for word in ad_words if word.lower() in lowered)
    return found


class AdScreener:
    """``content.interfaces.Screener``: queues a system report with reason ``advertising``."""

    def __init__(self, settings: Settings, media: Attachments | None = None) -> None:
        self.settings = settings
        self.media = media

    async def screen(self, post: Published) -> None:
        """Queue the post for review when it looks like advertising; never blocks publishing."""
        try:
            found = findings(post.text, self.settings.ad_words)
            if self.media is not None and post.target_type in blocklist.DIARY_TYPES and post.media_ids:
                if await self.media.blocked_among(post.media_ids):
                    found.append(blocklist.FINDING)
            if not found:
                return
            async with in_transaction():
                await self._queue(post, found)
        except Exception:  # a failed screening is logged; the post stays published
            log.exception("screening %s %s failed", post.target_type, post.target_id)

    async def _queue(self, post: Published, found: list[str]) -> None:
        item = await queue.enqueue(post.target_type, post.target_id, ItemKind.REPORT,
                                   due_at=now() + timedelta(seconds=self.settings.report_due_seconds))
        # An edited post is screened again: one system report per live item is enough.
        if await Report.filter(item_id=item.id, reporter_id__isnull=True).exists():
            return
        await Report.create(reporter_id=None, target_type=post.target_type, target_id=post.target_id,
                            reason=ReportReason.ADVERTISING, detail="screener: " + ", ".join(found), item_id=item.id,
                            created_at=now())
        await audit.record(audit.SYSTEM, "report_filed", target_type=post.target_type, target_id=post.target_id,
                           reason=ReportReason.ADVERTISING)


class PhotoReviews:
    """``media.interfaces.PhotoReview``: an upload held because it matches a photo removed on a legal
    notice (``MEIJI_FINGERPRINT_ACTION=review``) gets a live item with a system report, reason
    ``infringement``, naming the case; the item is marked hidden, as the photo is. ``keep`` clears
    the photo (the post it joins may show it), ``remove`` removes it (a placeholder, 410)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def held(self, media_id: str, *, owner_id: int | None, case_id: str | None, distance: int) -> None:
        photo = ContentType.PHOTO
        detail = (f"held on upload: matches a photo removed on legal notice {case_id} "
                  f"({distance} of 64 bits apart); shown to nobody until a moderator decides")
        async with in_transaction():
            item = await queue.enqueue(photo, media_id, ItemKind.REPORT,
                                       due_at=now() + timedelta(seconds=self.settings.report_due_seconds))
            await QueueItem.filter(id=item.id).update(hidden=True)
            await Report.create(reporter_id=None, target_type=photo, target_id=media_id,
                                reason=ReportReason.INFRINGEMENT, detail=detail, item_id=item.id, created_at=now())
            await audit.record(audit.SYSTEM, "report_filed", target_type=photo, target_id=media_id, case_id=case_id,
                               reason=ReportReason.INFRINGEMENT)


async def export(account_id: int) -> list[dict[str, Any]]:
    rows = await Report.filter(reporter_id=account_id).order_by("id")
    return [report_json(r) for r in rows]


async def forget(account_id: int) -> None:
    """Account deletion: reports keep their ids and reasons, never the reporter's own words."""
    await Report.filter(reporter_id=account_id).update(detail="")
