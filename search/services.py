"""The search room's service: the outbox, the indexer that drains it, rebuilding, and building the index."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from tortoise.transactions import in_transaction
from tqdm import tqdm

from kernel import clock, db
from kernel.settings import Settings
from search.interfaces import DocKey, Document, DocumentSource, Query, Results, SearchIndex
from search.memory import MemoryIndex
from search.models import OutboxEntry

log = logging.getLogger("meiji.search")

# Content enqueues this key when procedures or wiki titles/aliases change: reload the vocabulary.
VOCABULARY: DocKey = ("vocabulary", "*")
# Drained rows are kept this long, so a rebuild can replay what changed while it ran.
KEEP_DONE = timedelta(days=1)
PURGE_EVERY = 500  # drains


async def enqueue(keys: Sequence[DocKey]) -> None:
    """Record that these documents changed; call inside the transaction that changed them."""
    if keys:
        await OutboxEntry.bulk_create([OutboxEntry(doc_type=t, doc_id=i) for t, i in keys])


# Results deeper than this are not paged to (a search is for finding, not for walking the corpus).
MAX_DEPTH = 1000


async def search(index: SearchIndex, text: str, *, types: Sequence[str] = (), procedure: str | None = None,
                 clinic_id: str | None = None, sort: Literal["relevance", "recent"] = "relevance",
                 limit: int = 20, offset: int = 0) -> tuple[Results, int | None]:
    """One page of hits for any user text, and the offset of the next page (None at the end)."""
    offset = max(0, min(offset, MAX_DEPTH))
    limit = min(limit, MAX_DEPTH - offset)
    if limit <= 0:
        return Results([], 0), None
    results = await index.search(Query(text, tuple(types), procedure, clinic_id, sort, limit, offset))
    following = offset + len(results.hits)
    more = len(results.hits) == limit and following < min(results.total, MAX_DEPTH)
    return results, following if more else None


_drains = 0


async def drain(index: SearchIndex, source: DocumentSource, batch: int = 500) -> int:
    """Bring the index up to date with one batch of the outbox; returns how many rows were handled.

    Idempotent and crash-safe: a row is marked done only after its document was written, and
    writing the current state of a document twice changes nothing.
    """
    global _drains
    pending = OutboxEntry.filter(done=False).order_by("id").limit(batch)
    if db.dialect() == "postgres":
        # Several indexers may share the outbox (each app worker, ``meiji index run``): each takes
        # rows that no other holds, and marks them done in the transaction that locked them.
        async with in_transaction(db.connection().connection_name):
            handled = await _drain(index, source, await pending.select_for_update(skip_locked=True))
    else:
        handled = await _drain(index, source, await pending)
    _drains += 1
    if _drains % PURGE_EVERY == 1:
        await OutboxEntry.filter(done=True, created_at__lt=clock.now() - KEEP_DONE).delete()
    return handled


async def _drain(index: SearchIndex, source: DocumentSource, entries: list[OutboxEntry]) -> int:
    if not entries:
        return 0
    keys = list(dict.fromkeys((e.doc_type, e.doc_id) for e in entries))
    if VOCABULARY in keys:
        keys.remove(VOCABULARY)
        await index.set_vocabulary(await source.vocabulary())
    # Taken before loading: a document deleted from the index after this point (the
    # synchronous delete of a takedown) is not put back by this round's stale copy.
    loaded_at = await index.mark()
    current = await source.load(keys) if keys else {}
    await index.apply([d for d in current.values() if d is not None],
                      [k for k in keys if current.get(k) is None], loaded_at=loaded_at)
    # Exactly the rows read: a concurrent transaction may still commit a lower id.
    await OutboxEntry.filter(id__in=[e.id for e in entries]).update(done=True)
    return len(entries)


def _path(url: str) -> Path:
    parts = urlsplit(url)
    return Path(unquote(parts.netloc + parts.path))


def build_index(settings: Settings) -> SearchIndex:
    """The backend named by ``MEIJI_SEARCH_URL``: ``tantivy:///dir``, ``whoosh:///dir``, ``postgres``, ``memory://``."""
    scheme = urlsplit(settings.search_url).scheme
    if scheme == "tantivy":
        from search.tantivy_index import TantivyIndex

        embedded: SearchIndex = TantivyIndex(_path(settings.search_url))
        return embedded
    if scheme == "whoosh":
        from search.whoosh_index import WhooshIndex

        whoosh: SearchIndex = WhooshIndex(_path(settings.search_url))
        return whoosh
    if scheme == "postgres" or settings.search_url == "postgres":
        if settings.database_url.startswith("sqlite"):
            raise ValueError("MEIJI_SEARCH_URL=postgres needs MEIJI_DATABASE_URL to be PostgreSQL")
        from search.postgres_index import PostgresIndex

        postgres: SearchIndex = PostgresIndex()
        return postgres
    return MemoryIndex()


async def run_indexer(index: SearchIndex, source: DocumentSource, settings: Settings, *, once: bool = False) -> None:
    """Drain the outbox until stopped (``meiji index run``), or until it is empty (``once``)."""
    while True:
        try:
            handled = await drain(index, source)
        except Exception:  # a failed round is logged; its rows stay pending and are retried
            if once:
                raise
            log.exception("search indexer round failed")
            handled = 0
        if once and not handled:
            return
        if not handled:
            await asyncio.sleep(settings.indexer_seconds)


async def reindex(index: SearchIndex, source: DocumentSource, settings: Settings, *, progress: bool = True) -> int:
    """Rebuild the index from the source of truth aside, swap it in, then replay what changed meanwhile.

    Searches keep answering from the old index until the swap. Every change made after the rebuild
    started has an outbox row with a higher id; those keys are enqueued again so the indexer brings
    them into the new index, whichever index they were drained into before.
    """
    last = await OutboxEntry.all().order_by("-id").first()
    mark = last.id if last else 0
    await index.set_vocabulary(await source.vocabulary())
    bar = tqdm(total=await source.count(), unit="doc", desc="reindex", disable=not progress)

    async def batches() -> AsyncIterator[list[Document]]:
        async for docs in source.everything():
            bar.update(len(docs))
            yield docs

    try:
        count = await index.rebuild(batches())
    finally:
        bar.close()
    changed = await OutboxEntry.filter(id__gt=mark).values_list("doc_type", "doc_id")
    await enqueue(list(dict.fromkeys((str(t), str(i)) for t, i in changed)))
    return count
