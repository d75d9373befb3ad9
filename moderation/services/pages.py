"""Queue pages kept for a moment: the queue is the moderators' busiest read and its page the
costliest one (targets, authors, photos, history, strikes, notes), while it changes only when
something is reported, claimed, decided or noted.

Every such change writes to the audit log, so the newest audit entry's id is the queue's stamp: a
page is served again only while the stamp is unchanged (one indexed read, the same in every worker
and process), and for at most ``KEEP_SECONDS``, so what the log does not see (an author editing or
deleting the post, a claim lapsing) shows within that second. A page that showed a moderator the
author of an anonymous post is never kept: each showing is logged.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from datetime import datetime
from typing import Any

from kernel.clock import now
from moderation.interfaces import ModerationServices
from moderation.models import AuditEntry
from moderation.services import queue
from moderation.vocabulary import ItemKind, ItemStatus

KEEP_SECONDS = 1.0
KEPT_PAGES = 256

Key = tuple[str | None, ...]
_pages: OrderedDict[Key, tuple[int | None, float, datetime | None, dict[str, Any]]] = OrderedDict()


async def _stamp() -> int | None:
    ids = await AuditEntry.all().order_by("-id").limit(1).values_list("id", flat=True)
    return int(str(ids[0])) if ids else None


def _lapse(page: dict[str, Any]) -> datetime | None:
    """The first moment a claim shown on the page lapses (on the service's clock): the page is stale then."""
    claims = [item["claimed_until"] for item in page["items"] if item.get("claimed_until") is not None]
    return min(claims) if claims else None


def _reveals(page: dict[str, Any]) -> bool:
    return any(item["target"].get("anonymous") and item["target"].get("author") for item in page["items"])


async def listing(services: ModerationServices, moderator_id: int, *, status: ItemStatus | None,
                  kind: ItemKind | None, sort: str, limit: int, cursor: str | None, reason: str | None,
                  target_type: str | None) -> dict[str, Any]:
    """``queue.listing``, served again while nothing moderation logs has happened since, for a second."""
    # Keyed by database too: two applications in one process (tests) never share a page.
    key: Key = (services.settings.database_url, status, kind, sort, str(limit), cursor, reason, target_type)
    stamp = await _stamp()
    kept = _pages.get(key)
    if kept is not None and kept[0] == stamp and kept[1] > time.monotonic() and (kept[2] is None or kept[2] > now()):
        return kept[3]
    page = await queue.listing(services, moderator_id, status=status, kind=kind, sort=sort, limit=limit,
                               cursor=cursor, reason=reason, target_type=target_type)
    if _reveals(page):
        _pages.pop(key, None)
        return page
    # The stamp read before the page was built: a change meanwhile makes the next request build anew.
    _pages[key] = (stamp, time.monotonic() + KEEP_SECONDS, _lapse(page), page)
    _pages.move_to_end(key)
    while len(_pages) > KEPT_PAGES:
        _pages.popitem(last=False)
    return page
