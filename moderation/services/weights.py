"""Reporter weight: how much a member's report counts towards hiding a post before review.

Three accounts made a minute ago must not hide anyone's post. A report counts towards auto-hide
only when its reporter's account is at least ``MEIJI_REPORTER_MIN_AGE_DAYS`` old **and** the
reporter has published something (a post still published, anonymous or not) or had a report
upheld. Such a reporter weighs 1; one whose reports moderators kept (found nothing wrong) at least
``REJECTED_TO_HALVE`` times, and more often than they upheld them, weighs ½. Every other report
still queues the item, weighing 0. With ``MEIJI_REPORTER_MIN_AGE_DAYS=0`` every reporter weighs 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from kernel.clock import now
from moderation.interfaces import ModerationServices
from moderation.models import QueueItem, Report
from moderation.vocabulary import Action

# Kept reports (a moderator found nothing wrong) from which a reporter counts half.
REJECTED_TO_HALVE = 3


async def _outcomes(reporter_id: int) -> tuple[int, int]:
    """(upheld, kept) among the reporter's decided reports."""
    item_ids = await Report.filter(reporter_id=reporter_id).values_list("item_id", flat=True)
    decisions = await QueueItem.filter(id__in=list(item_ids), decision__isnull=False).values_list(
        "decision", flat=True) if item_ids else []
    upheld = sum(1 for d in decisions if str(d) == Action.REMOVE)
    kept = sum(1 for d in decisions if str(d) == Action.KEEP)
    return upheld, kept


async def weight(services: ModerationServices, reporter_id: int) -> float:
    """What one report of ``reporter_id`` counts towards auto-hide: 0, ½ or 1."""
    min_age = services.settings.reporter_min_age_days
    if min_age <= 0:
        return 1.0
    accounts = services.accounts
    joined = await accounts.joined_at(reporter_id)
    if joined is None or joined > now() - timedelta(days=min_age):
        return 0.0
    upheld, kept = await _outcomes(reporter_id)
    if not upheld and not await accounts.has_published(reporter_id):
        return 0.0
    if kept >= REJECTED_TO_HALVE and kept > upheld:
        return 0.5
    return 1.0


async def total(services: ModerationServices, reporter_ids: Sequence[int]) -> float:
    """The weight of a target's reports, each distinct reporter once."""
    return sum([await weight(services, r) for r in sorted(set(reporter_ids))])
