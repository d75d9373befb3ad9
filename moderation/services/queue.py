"""The moderation queue: one live item per target, its claims, and how moderators see it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from content.services import TargetInfo
from kernel import db
from kernel.clock import now
from kernel.rows import Row, fetch
from kernel.settings import Settings
from kernel.web.ids import id_or_404
from kernel.web.pagination import decode_cursor, forged_cursor, page
from kernel.web.problems import conflict, not_found
from media.interfaces import Attachments, MediaView
from moderation.interfaces import ModerationServices
from moderation.models import CounterNotice, Notice, QueueItem, Report
from moderation.services import audit, dossier, targets
from moderation.services import calendar as legal
from moderation.vocabulary import URGENCY, ItemKind, ItemStatus


def live_key(target_type: str, target_id: str) -> str:
    return f"{target_type}:{target_id}"


async def enqueue(target_type: str, target_id: str, kind: ItemKind, *, due_at: datetime,
                  case_id: str | None = None) -> QueueItem:
    """The target's live item, created or raised to ``kind``, due no later than ``due_at``."""
    key = live_key(target_type, target_id)
    # INSERT first, in a savepoint: a transaction that starts by writing takes SQLite's write lock at
    # once (one that reads first can fail with "database is locked" beside another process), and a
    # failed INSERT leaves a PostgreSQL transaction usable.
    try:
        async with in_transaction():
            return await QueueItem.create(target_type=target_type, target_id=target_id, live_key=key, kind=kind,
                                          status=ItemStatus.OPEN, case_id=case_id, due_at=due_at, created_at=now())
    except IntegrityError:  # the target already has its live item
        item = await QueueItem.get(live_key=key)
    changes: dict[str, Any] = {}
    # The live item takes the most urgent kind among what is pending on its target.
    if URGENCY[kind] > URGENCY.get(item.kind, 0):
        changes["kind"] = kind
        if case_id is not None:
            changes["case_id"] = case_id
    elif case_id is not None and item.case_id is None:
        changes["case_id"] = case_id
    if due_at < item.due_at:
        changes["due_at"] = due_at
    if changes:
        await QueueItem.filter(id=item.id, live_key=key).update(**changes)
        for name, value in changes.items():
            setattr(item, name, value)
    return item


def _parse_id(raw: str) -> int:
    return id_or_404(raw, "queue item")


async def get_item(raw_id: str) -> QueueItem:
    item = await QueueItem.get_or_none(id=_parse_id(raw_id))
    if item is None:
        raise not_found("queue item")
    return item


async def claim(raw_id: str, moderator_id: int, settings: Settings) -> QueueItem:
    """Hold the item for ``claim_seconds``; 409 when another moderator holds it or it is resolved."""
    item_id = _parse_id(raw_id)
    moment = now()
    # One conditional UPDATE: of two moderators claiming at once, exactly one matches.
    won = await QueueItem.filter(
        Q(id=item_id), Q(live_key__isnull=False),
        Q(status=ItemStatus.OPEN) | Q(claimed_by=moderator_id) | Q(claimed_until__lt=moment),
    ).update(status=ItemStatus.CLAIMED, claimed_by=moderator_id,
             claimed_until=moment + timedelta(seconds=settings.claim_seconds))
    item = await QueueItem.get_or_none(id=item_id)
    if item is None:
        raise not_found("queue item")
    if not won:
        if item.status == ItemStatus.RESOLVED:
            raise conflict("This item is resolved.")
        raise conflict("Another moderator holds this item.")
    await audit.record(audit.moderator(moderator_id), "claimed", target_type=item.target_type,
                       target_id=item.target_id, case_id=item.case_id)
    return item


def effective_status(item: QueueItem | Row, moment: datetime) -> ItemStatus:
    """The item's status as moderators see it: a lapsed claim is open at once."""
    if item.status == ItemStatus.CLAIMED and item.claimed_until is not None and item.claimed_until < moment:
        return ItemStatus.OPEN
    return ItemStatus(item.status)


async def _facts(items: Sequence[QueueItem | Row]) -> dict[int, tuple[dict[str, int], int]]:
    """``({reason: count}, report_count)`` per item, over its reports, its notice type and counter-notices.

    Three queries for a whole page, whatever its length.
    """
    ids = [item.id for item in items]
    case_ids = list({item.case_id for item in items if item.case_id})
    counts: dict[int, Counter[str]] = {i: Counter() for i in ids}
    reports: Counter[int] = Counter()
    for item_id, reason in await Report.filter(item_id__in=ids).values_list("item_id", "reason"):
        counts[int(item_id)][str(reason)] += 1
        reports[int(item_id)] += 1
    types: dict[str, str] = {}
    counters: Counter[str] = Counter()
    if case_ids:
        types = {str(k): str(v) for k, v in await Notice.filter(id__in=case_ids).values_list("id", "notice_type")}
        counters.update(str(c) for c in await CounterNotice.filter(notice_id__in=case_ids).values_list(
            "notice_id", flat=True))
    for item in items:
        if item.case_id and item.case_id in types:
            counts[item.id][types[item.case_id]] += 1
            if item.kind == ItemKind.COUNTER_NOTICE and counters[item.case_id]:
                counts[item.id][ItemKind.COUNTER_NOTICE.value] += counters[item.case_id]
    return {i: (dict(counts[i]), reports[i]) for i in ids}


async def items_json(services: ModerationServices, items: Sequence[QueueItem | Row],
                     moderator_id: int) -> list[dict[str, Any]]:
    """Items as a moderator sees them, real authors included; each anonymous author's reveal is logged."""
    moment = now()
    facts = await _facts(items)
    infos = await targets.find_many(services, [(item.target_type, item.target_id) for item in items])
    authors = await targets.authors_json(services, [i.author_id for i in infos if i is not None and i.author_id])
    photos = await _photos(services, infos)
    extras = await dossier.gather(items, infos)
    out = []
    for item, info in zip(items, infos, strict=True):
        target: dict[str, Any] = {"type": item.target_type, "id": item.target_id}
        if info is None:
            target.update(status="gone", title=None, preview=None, path=None, anonymous=False, author=None,
                          media=[])
        else:
            author = authors.get(info.author_id) if info.author_id is not None else None
            target.update(status=info.status, title=info.title, preview=info.preview, path=info.path,
                          anonymous=info.anonymous, author=author,
                          media=[photos[m].as_json() for m in info.media_ids if m in photos])
            if info.anonymous and author is not None:
                await audit.record(audit.moderator(moderator_id), "author_revealed", target_type=item.target_type,
                                   target_id=item.target_id, case_id=item.case_id)
        reasons, report_count = facts[item.id]
        status = effective_status(item, moment)
        out.append({
            "id": str(item.id),
            "kind": item.kind,
            "target": target,
            "reasons": reasons,
            "report_count": report_count,
            "due_at": item.due_at,
            # Due times are hours of service, not legal periods: counted on the plain clock.
            "due_calendar": legal.CLOCK,
            "claimed_by": str(item.claimed_by) if status == ItemStatus.CLAIMED and item.claimed_by else None,
            "claimed_until": item.claimed_until if status == ItemStatus.CLAIMED else None,
            "status": status,
            "case_id": item.case_id,
            "hidden": item.hidden,
            "decision": item.decision,
            "created_at": item.created_at,
            "resolved_at": item.resolved_at,
            **extras[item.id],
        })
    return out


async def _photos(services: ModerationServices, infos: list[TargetInfo | None]) -> dict[str, MediaView]:
    """The targets' photos in any status, in one lookup: a hidden or removed post's photos are no
    longer public, so they come with URLs of the authorised variant route, which moderators open."""
    ids = list(dict.fromkeys(m for info in infos if info is not None for m in info.media_ids))
    media: Attachments = services.media
    return await media.views(ids, everything=True) if ids else {}


async def item_json(services: ModerationServices, item: QueueItem, moderator_id: int) -> dict[str, Any]:
    [data] = await items_json(services, [item], moderator_id)
    return data


async def detail_json(services: ModerationServices, item: QueueItem, moderator_id: int) -> dict[str, Any]:
    """An item with its reports (reporters and details), for the moderator deciding it."""
    data = await item_json(services, item, moderator_id)
    reports = await Report.filter(item_id=item.id).order_by("id")
    data["reports"] = [{"id": str(r.id), "reporter_id": str(r.reporter_id) if r.reporter_id else None,
                        "system": r.reporter_id is None, "reason": r.reason, "detail": r.detail,
                        "created_at": r.created_at} for r in reports]
    return data


GROUPED = ("kind", "target_type")  # sorts that group the queue by a column, most urgent first within


def _due(text: str) -> datetime:
    """The due time a cursor carries: an aware ISO time, as ``encode_cursor`` wrote it; else 422."""
    try:
        due = datetime.fromisoformat(text)
    except ValueError:
        raise forged_cursor() from None
    if due.tzinfo is None:
        raise forged_cursor()
    return due


async def listing(services: ModerationServices, moderator_id: int, *, status: ItemStatus | None,
                  kind: ItemKind | None, sort: str, limit: int, cursor: str | None, reason: str | None = None,
                  target_type: str | None = None) -> dict[str, Any]:
    """Queue items, most urgent first (``sort=due``), newest first (``sort=recent``), or grouped by
    ``kind`` or ``target_type`` and most urgent first within each group."""
    moment = now()
    query = QueueItem.all()
    lapsed = Q(status=ItemStatus.CLAIMED, claimed_until__lt=moment)
    if status == ItemStatus.OPEN:
        query = query.filter(Q(status=ItemStatus.OPEN) | lapsed)
    elif status == ItemStatus.CLAIMED:
        query = query.filter(status=ItemStatus.CLAIMED, claimed_until__gte=moment)
    elif status == ItemStatus.RESOLVED:
        query = query.filter(status=ItemStatus.RESOLVED)
    else:
        query = query.filter(live_key__isnull=False)
    if kind:
        query = query.filter(kind=kind)
    if target_type:
        query = query.filter(target_type=target_type)
    if reason:
        # A report reason, or the notice type of the item's case (copyright, portrait...).
        query = query.filter(Q(id__in=Subquery(Report.filter(reason=reason).values("item_id")))
                             | Q(case_id__in=Subquery(Notice.filter(notice_type=reason).values("id"))))
    if sort == "due":
        after = decode_cursor(cursor, (str, int))
        if after is not None:
            due = _due(after[0])
            query = query.filter(Q(due_at__gt=due) | Q(due_at=due, id__gt=after[1]))
        rows = await fetch(query.order_by("due_at", "id").limit(limit + 1))
    elif sort in GROUPED:
        grouped = decode_cursor(cursor, (str, str, int))
        if grouped is not None:
            group, due, last = grouped[0], _due(grouped[1]), grouped[2]
            if not db.holds(QueueItem, sort, group):
                raise forged_cursor()
            query = query.filter(Q(**{f"{sort}__gt": group}) | Q(Q(due_at__gt=due) | Q(due_at=due, id__gt=last),
                                                                    **{sort: group}))
        rows = await fetch(query.order_by(sort, "due_at", "id").limit(limit + 1))
    else:
        recent = decode_cursor(cursor, (int,))
        if recent is not None:
            query = query.filter(id__lt=recent[0])
        rows = await fetch(query.order_by("-id").limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    items = await items_json(services, rows, moderator_id)
    next_values: list[str | int] | None = None
    if more:
        last = rows[-1]
        if sort == "due":
            next_values = [last.due_at.isoformat(), last.id]
        elif sort in GROUPED:
            next_values = [getattr(last, sort), last.due_at.isoformat(), last.id]
        else:
            next_values = [last.id]
    return page(items, next_values)
