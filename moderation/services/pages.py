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

import asyncio
import time
from collections import OrderedDict
from datetime import datetime
from typing import Any

from kernel import db
from kernel.clock import now
from kernel.web.endpoints import dump
from moderation.interfaces import ModerationServices
from moderation.models import AuditEntry
from moderation.services import queue
from moderation.vocabulary import ItemKind, ItemStatus

KEEP_SECONDS = 1.0
KEPT_PAGES = 256

Key = tuple[str | None, ...]
_pages: OrderedDict[Key, tuple[int | None, float, datetime | None, bytes]] = OrderedDict()
_building: dict[Key, asyncio.Future[tuple[int | None, bytes, bool]]] = {}


_STAMP_SQL = f"SELECT MAX(id) AS stamp FROM {AuditEntry._meta.db_table}"  # noqa: S608 - the model's table


async def _stamp() -> int | None:
    # Plain SQL: this read runs on every queue request, so it skips building the query each time.
    rows = await db.connection().execute_query_dict(_STAMP_SQL)
    stamp = rows[0]["stamp"] if rows else None
    return int(stamp) if stamp is not None else None


def _lapse(page: dict[str, Any]) -> datetime | None:
    """The first moment a claim shown on the page lapses (on the service's clock): the page is stale then."""
    claims = [item["claimed_until"] for item in page["items"] if item.get("claimed_until") is not None]
    return min(claims) if claims else None


def _reveals(page: dict[str, Any]) -> bool:
    return any(item["target"].get("anonymous") and item["target"].get("author") for item in page["items"])


async def listing(services: ModerationServices, moderator_id: int, *, status: ItemStatus | None,
                  kind: ItemKind | None, sort: str, limit: int, cursor: str | None, reason: str | None,
                  target_type: str | None) -> bytes:
    """``queue.listing`` as JSON, served again while nothing moderation logs has happened since, for a second."""
    # Keyed by database too: two applications in one process (tests) never share a page.
    key: Key = (services.settings.database_url, status, kind, sort, str(limit), cursor, reason, target_type)
    stamp = await _stamp()
    kept = _pages.get(key)
    if kept is not None and kept[0] == stamp and kept[1] > time.monotonic() and (kept[2] is None or kept[2] > now()):
        return kept[3]
    # One build per page at a time: when a kept page expires under load, the requests arriving
    # meanwhile wait for that build instead of each building it again.
    building = _building.get(key)
    if building is not None:
        built_stamp, body, revealing = await asyncio.shield(building)
        # Only a build that saw what this request saw; a page that revealed an author is built for
        # each moderator (each showing is logged).
        if built_stamp == stamp and not revealing:
            return body
    future: asyncio.Future[tuple[int | None, bytes, bool]] = asyncio.get_running_loop().create_future()
    _building[key] = future
    try:
        page = await queue.listing(services, moderator_id, status=status, kind=kind, sort=sort, limit=limit,
                                   cursor=cursor, reason=reason, target_type=target_type)
        body, revealing = dump(page), _reveals(page)
        future.set_result((stamp, body, revealing))
    except BaseException as exc:
        future.set_exception(exc)
        future.exception()  # retrieved here, so a build nobody waited for logs no warning
        raise
    finally:
        if _building.get(key) is future:
            del _building[key]
    if revealing:
        _pages.pop(key, None)
        return body
    # The stamp read before the page was built: a change meanwhile makes the next request build anew.
    _pages[key] = (stamp, time.monotonic() + KEEP_SECONDS, _lapse(page), body)
    _pages.move_to_end(key)
    while len(_pages) > KEPT_PAGES:
        _pages.popitem(last=False)
    return body
