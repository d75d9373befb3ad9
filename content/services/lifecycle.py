"""The life of any post, whatever its type: status changes, author deletion, privacy tools, counts.

These work on every type registered in ``content.visibility.KINDS``. Areas use:

- ``await delete_by_author(services, "question", obj)``: the author's DELETE (soft: status ``deleted``).
- ``await set_status(services, type, id, status, case_id=, reason=)``: moderation's hide/remove/restore.
- ``await published(services, type, obj, text)``: after a create or an edit (screening).
- ``await refresh_search(services, keys)``: bring index entries up to date *now* (used after removals).

Every status change runs in one transaction: the row, the counters and ratings (``Kind.on_publicity``)
and the search outbox; then, once committed, media serving follows the status and the index entries
are deleted or rewritten synchronously, so removed content is not findable when the call returns.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from tortoise.transactions import in_transaction

from content.interfaces import ContentServices, Published
from content.visibility import KINDS, Kind, kind, parse_id, registered
from kernel import db
from kernel.clock import now
from kernel.rows import fetch
from kernel.vocabulary import ContentType, PostStatus
from kernel.web.problems import not_found
from search.interfaces import DocKey
from search.outbox import enqueue

# The one content-type and status enums of the kernel, under the names this module has always used.
TargetType = ContentType
Status = PostStatus


@dataclass(frozen=True)
class TargetInfo:
    """A piece of content as moderation sees it, real author included (never shown to the public)."""

    type: str
    id: str
    author_id: int | None
    anonymous: bool
    status: str
    title: str
    preview: str
    path: str
    media_ids: list[str] = field(default_factory=list)
    case_id: str | None = None


async def _info(k: Kind, obj: Any) -> TargetInfo:
    return TargetInfo(type=k.type, id=str(obj.id), author_id=obj.author_id, anonymous=obj.anonymous,
                      status=obj.status, title=k.title(obj), preview=k.preview(obj)[:280], path=k.url(obj),
                      media_ids=await k.media_of(obj), case_id=obj.case_id)


@dataclass(frozen=True)
class Record:
    """A target that is not a post (a wiki revision): moderation finds it, suppresses it (status
    ``removed`` or ``hidden``) and restores it (``published``) through these, like any post."""

    find: Callable[[str], Awaitable[TargetInfo | None]]
    set_status: Callable[[ContentServices, str, Status, str | None, str | None], Awaitable[TargetInfo]]
    resolve: Callable[[str], Awaitable[str | None]]  # a URL's path -> the record's id, or None


RECORDS: dict[str, Record] = {}


async def find_target(target_type: str, target_id: str) -> TargetInfo | None:
    """The content behind a (type, id), whatever its status; None when there is none."""
    if target_type in RECORDS:
        return await RECORDS[target_type].find(target_id)
    k = KINDS.get(target_type)
    key = parse_id(target_id)
    if k is None or key is None:
        return None
    obj = await k.model.get_or_none(id=key)
    return await _info(k, obj) if obj is not None else None


async def find_targets(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], TargetInfo]:
    """Many targets at once (a moderation queue page): one query per type; unknown pairs are absent."""
    wanted: dict[str, set[int]] = {}
    for target_type, target_id in pairs:
        key = parse_id(target_id)
        if target_type in KINDS and key is not None:
            wanted.setdefault(target_type, set()).add(key)
    found: dict[tuple[str, str], TargetInfo] = {}
    for target_type, target_id in pairs:
        record = await find_target(target_type, target_id) if target_type in RECORDS else None
        if record is not None:
            found[(target_type, target_id)] = record
    for target_type, ids in wanted.items():
        k = KINDS[target_type]
        rows = await fetch(k.model.filter(id__in=sorted(ids)))
        for obj in rows:
            found[(target_type, str(obj.id))] = await _info(k, obj)
    return found


# API paths of each type, matched against a URL's path (any host: the web app and the API share ids).
_PATHS = [
    (re.compile(r"^/(?:v1/)?diaries/([0-9]+)/?$"), "diary"),
    (re.compile(r"^/(?:v1/)?diary-entries/([0-9]+)/?$"), "diary_entry"),
    (re.compile(r"^/(?:v1/)?reviews/([0-9]+)/?$"), "review"),
    (re.compile(r"^/(?:v1/)?questions/([0-9]+)/?$"), "question"),
    (re.compile(r"^/(?:v1/)?answers/([0-9]+)/?$"), "answer"),
    (re.compile(r"^/(?:v1/)?comments/([0-9]+)/?$"), "comment"),
    (re.compile(r"^/(?:v1/)?wiki/([^/?#]+)/?$"), "wiki"),
]


async def resolve_url(url: str) -> tuple[str, str] | None:
    """(type, id) for a URL or API path of our content (``https://host/v1/diaries/12``), else None."""
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return None
    for record_type, record in RECORDS.items():
        record_id = await record.resolve(path)
        if record_id is not None:
            return record_type, record_id
    for pattern, type_ in _PATHS:
        match = pattern.match(path)
        if match is None or type_ not in KINDS:
            continue
        value = match.group(1)
        if type_ == "wiki":
            # Wiki pages are addressed by slug; the registry's model finds the page's id.
            page = await KINDS["wiki"].model.get_or_none(slug=value)
            return ("wiki", str(page.pk)) if page is not None else None
        return (type_, value) if parse_id(value) is not None else None
    return None


async def refresh_search(services: ContentServices, keys: list[DocKey]) -> None:
    """Rewrite or delete these index entries now, from the database (the outbox does it again later).

    Only the process that owns an embedded index writes it here (the server). In any other process
    (``meiji moderation tick`` restoring a case) ``services.search`` is a read-only follower: these
    writes do nothing, and the outbox rows written with the change bring the owner's index up to date.
    """
    keys = list(dict.fromkeys(keys))
    if not keys:
        return
    current = await services.documents.load(keys)
    gone = [key for key, doc in current.items() if doc is None]
    fresh = [doc for doc in current.values() if doc is not None]
    if gone:
        await services.search.delete(gone)
    if fresh:
        await services.search.upsert(fresh)


async def change_status(services: ContentServices, k: Kind, obj: Any, status: Status, *, case_id: str | None = None,
                        reason: str | None = None) -> Any:
    """The one status transition: row, counters, outbox in a transaction; then media and search.

    The row changes only from the status it was read with (a conditional UPDATE): of two transitions
    at once (the author deleting while a moderator removes), the second sees the first's outcome and
    moves the counters from there, so no count moves twice."""
    is_public = status == "published"
    changes: dict[str, Any] = {"status": status, "updated_at": now()}
    if status in ("removed", "hidden"):
        changes.update(case_id=case_id, status_reason=reason)
    elif status == "published":
        changes.update(case_id=None, status_reason=None)
    while True:
        if obj.status == "deleted":
            # The author's deletion is final: moderation cannot bring a deleted post back.
            return obj
        was_public = obj.status == "published"
        async with in_transaction():
            if await k.model.filter(id=obj.id, status=obj.status).update(**changes):
                # Read again under the row's lock: counters move by what the row holds now (a review's
                # stars edited since ``obj`` was read), not by what it held then.
                obj = await k.model.get(id=obj.id)
                if was_public != is_public and k.on_publicity is not None:
                    await k.on_publicity(obj, is_public)
                keys = await k.docs_of(obj)
                if keys:
                    await enqueue(keys)
                break
        fresh = await k.model.get_or_none(id=obj.id)  # another transition came first: from its outcome
        if fresh is None:
            return obj
        obj = fresh
    holders = await k.holders_of(obj)
    for holder in holders:
        if status == "deleted":
            await services.media.release(holder)
        else:
            await services.media.set_visible(holder, is_public)
    await refresh_search(services, keys)
    return obj


async def set_status(services: ContentServices, target_type: str, target_id: str, status: Status, *,
                     case_id: str | None = None, reason: str | None = None) -> TargetInfo:
    """Hide, remove or restore content; leaves search and media serving at once when not published."""
    if target_type in RECORDS:
        return await RECORDS[target_type].set_status(services, target_id, status, case_id, reason)
    k = kind(target_type)
    key = parse_id(target_id)
    obj = await k.model.get_or_none(id=key) if key is not None else None
    if obj is None:
        raise not_found(k.noun)
    obj = await change_status(services, k, obj, status, case_id=case_id, reason=reason)
    return await _info(k, obj)


async def delete_by_author(services: ContentServices, target_type: str, obj: Any) -> None:
    """The author deletes a post: 404 to everyone at once, media released, gone from search."""
    await change_status(services, kind(target_type), obj, PostStatus.DELETED)


async def published(services: ContentServices, target_type: str, obj: Any, text: str) -> None:
    """After a create or an edit: hand the post to screening (advertising, contact details)."""
    if obj.author_id is not None:
        await services.screener.screen(Published(target_type=target_type, target_id=str(obj.id),
                                                 author_id=obj.author_id, text=text,
                                                 media_ids=tuple(await kind(target_type).media_of(obj))))


async def public_counts(author_id: int) -> dict[str, int]:
    """Published, non-anonymous posts of an author, by kind (anonymous posts are never counted)."""
    counted = [k for k in registered() if k.count_as]
    if not counted:
        return {}
    # One statement for every kind: a profile is read often and the counts are its slowest part.
    mark = "$1" if db.dialect() == "postgres" else "?"
    parts = [f'(SELECT COUNT(*) FROM "{k.model._meta.db_table}" WHERE author_id = {mark} '  # noqa: S608
             f"AND status = 'published' AND anonymous = FALSE) AS c{i}" for i, k in enumerate(counted)]
    params = [author_id] if db.dialect() == "postgres" else [author_id] * len(counted)
    sql = "SELECT " + ", ".join(parts)  # table names come from the models, never from a request
    rows = await db.connection().execute_query_dict(sql, params)
    return {k.count_as: int(rows[0][f"c{i}"]) for i, k in enumerate(counted) if k.count_as}


async def export_author(services: ContentServices, author_id: int) -> dict[str, Any]:
    """Everything content holds of an author, anonymous posts included (the data export)."""
    out: dict[str, Any] = {}
    for k in registered():
        items = []
        rows: list[Any] = await k.model.filter(author_id=author_id).order_by("id")
        for obj in rows:
            item: dict[str, Any] = {"id": str(obj.id), "status": obj.status, "anonymous": obj.anonymous,
                                    "created_at": obj.created_at, "updated_at": obj.updated_at,
                                    "title": k.title(obj), "text": k.preview(obj), "path": k.url(obj)}
            if k.export is not None:
                item.update(await k.export(obj))
            items.append(item)
        out[k.type] = items
    for name, exporter in EXPORTERS.items():
        out[name] = await exporter(author_id)
    return out


async def erase_author(services: ContentServices, author_id: int, mode: Literal["delete", "anonymize"]) -> None:
    """Account deletion: delete every post of the author, or keep them with the author removed for good."""
    for k in registered():
        rows = await k.model.filter(author_id=author_id)
        if mode == "delete":
            for obj in rows:
                await change_status(services, k, obj, PostStatus.DELETED)
        else:
            # Kept, but no longer anyone's: author null to everyone, never "is_mine" again.
            await k.model.filter(author_id=author_id).update(author_id=None, anonymous=True)
    for eraser in ERASERS:
        await eraser(services, author_id, mode)


# Areas with author data outside posts (likes, votes, wiki revisions) plug in here.
EXPORTERS: dict[str, Any] = {}
ERASERS: list[Callable[[ContentServices, int, str], Awaitable[None]]] = []
