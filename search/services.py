"""The search room's service: the outbox, the indexer that drains it, rebuilding, and building the index."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from tortoise.transactions import in_transaction
from tqdm import tqdm

from kernel import clock, db
from kernel.settings import Settings
from search import ownership
from search.follower import Follower
from search.interfaces import DocKey, Document, DocumentSource, Query, Results, SearchIndex
from search.memory import MemoryIndex
from search.models import OutboxEntry
from search.outbox import VOCABULARY, enqueue

log = logging.getLogger("meiji.search")

# Drained rows are kept this long, so a rebuild can replay what changed while it ran.
KEEP_DONE = timedelta(days=1)
SLICE = 25  # documents read and prepared between two turns of the event loop
PURGE_EVERY = 500  # drains


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
    # An estimated total may be too low: then only a short page says the end was reached.
    known = MAX_DEPTH if results.total_is_estimate else min(results.total, MAX_DEPTH)
    more = len(results.hits) == limit and following < known
    return results, following if more else None


@dataclass(frozen=True)
class Drained:
    """What one drain round did: outbox rows handled, documents written and documents removed."""

    rows: int = 0
    indexed: int = 0
    removed: int = 0

    def __add__(self, other: Drained) -> Drained:
        return Drained(self.rows + other.rows, self.indexed + other.indexed, self.removed + other.removed)


_drains = 0


async def drain(index: SearchIndex, source: DocumentSource, batch: int = 500) -> int:
    """Bring the index up to date with one batch of the outbox; returns how many rows were handled."""
    return (await drain_round(index, source, batch)).rows


async def drain_round(index: SearchIndex, source: DocumentSource, batch: int = 500) -> Drained:
    """One batch of the outbox into the index.

    Idempotent and crash-safe: a row is marked done only after its document was written, and
    writing the current state of a document twice changes nothing. A process that does not own
    an embedded index drains nothing: it cannot write the index, and the owner drains for it.
    """
    global _drains
    if isinstance(index, Follower):
        return Drained()
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


async def _drain(index: SearchIndex, source: DocumentSource, entries: list[OutboxEntry]) -> Drained:
    if not entries:
        return Drained()
    keys = list(dict.fromkeys((e.doc_type, e.doc_id) for e in entries))
    if VOCABULARY in keys:
        keys.remove(VOCABULARY)
        await index.set_vocabulary(await source.vocabulary())
    fresh: list[Document] = []
    gone: list[DocKey] = []
    # A few documents at a time: reading and preparing them runs on the event loop, which the
    # requests share; between two slices they run (500 diaries in one slice held them ~80 ms).
    for start in range(0, len(keys), SLICE):
        part = keys[start:start + SLICE]
        # Taken before loading: a document deleted from the index after this point (the
        # synchronous delete of a takedown) is not put back by this round's stale copy.
        loaded_at = await index.mark()
        current = await source.load(part)
        found = [d for d in current.values() if d is not None]
        missing = [k for k in part if current.get(k) is None]
        await index.apply(found, missing, loaded_at=loaded_at)
        fresh += found
        gone += missing
        await asyncio.sleep(0)
    # Exactly the rows read: a concurrent transaction may still commit a lower id.
    await OutboxEntry.filter(id__in=[e.id for e in entries]).update(done=True)
    return Drained(len(entries), len(fresh), len(gone))


def _path(url: str) -> Path:
    parts = urlsplit(url)
    return Path(unquote(parts.netloc + parts.path))


def embedded_dir(settings: Settings) -> Path | None:
    """The directory of an embedded index (tantivy, Whoosh), which one process owns; None for the others."""
    if urlsplit(settings.search_url).scheme in ("tantivy", "whoosh"):
        return _path(settings.search_url)
    return None


def claim_index(settings: Settings, who: str, *, wait: float = 0.0) -> None:
    """Own the embedded index for this process's life (``ownership.IndexOwned`` when another does)."""
    root = embedded_dir(settings)
    if root is not None:
        ownership.claim(root, who, wait=wait)


def release_index(settings: Settings) -> None:
    root = embedded_dir(settings)
    if root is not None:
        ownership.release(root)


def index_holder(settings: Settings) -> str | None:
    """The other process that owns the embedded index (``meiji serve (pid 123)``), if one does."""
    root = embedded_dir(settings)
    return ownership.holder(root) if root is not None else None


def kept_answers(index: SearchIndex) -> Mapping[str, int] | None:
    """How many searches were answered from a kept page of hits and how many searched the engine;
    None for an index that keeps no pages (a follower, the memory index, ``MEIJI_SEARCH_RESULTS_KEPT=0``)."""
    from search.engine import EngineIndex  # imported here: it loads jieba's dictionary, which not every command needs

    if isinstance(index, EngineIndex) and index.keeps_pages:
        return index.answers
    return None


def analysed_lines(index: SearchIndex) -> Mapping[str, int] | None:
    """How many lines of document text this process took from its kept tokens and how many it
    analysed; None for an index that analyses nothing here (a follower, the memory index)."""
    from search.engine import EngineIndex  # imported here, as in kept_answers

    return index.analyzer.lines if isinstance(index, EngineIndex) else None


def build_index(settings: Settings, *, owner: bool = True) -> SearchIndex:
    """The backend named by ``MEIJI_SEARCH_URL``: ``tantivy:///dir``, ``whoosh:///dir``, ``postgres``, ``memory://``.

    ``owner=False`` (every CLI command but the indexer): an embedded index is opened read-only, as
    a ``Follower``; its writes are left to the owning process, through the outbox.
    """
    scheme = urlsplit(settings.search_url).scheme
    # Only the owner writes an embedded index, so only it knows when kept pages of hits go stale
    # (a follower's would miss the owner's changes).
    kept = settings.search_results_kept if owner else 0
    if scheme == "tantivy":
        from search.tantivy_index import TantivyIndex

        embedded: SearchIndex = TantivyIndex(_path(settings.search_url), results=kept, lines=settings.search_lines_kept)
        return embedded if owner else Follower(embedded)
    if scheme == "whoosh":
        from search.whoosh_index import WhooshIndex

        whoosh: SearchIndex = WhooshIndex(_path(settings.search_url), results=kept, lines=settings.search_lines_kept)
        return whoosh if owner else Follower(whoosh)
    if scheme == "postgres" or settings.search_url == "postgres":
        if settings.database_url.startswith("sqlite"):
            raise ValueError("MEIJI_SEARCH_URL=postgres needs MEIJI_DATABASE_URL to be PostgreSQL")
        from search.postgres_index import PostgresIndex

        # Shared by every process: each keeps its pages of hits, told of changes by the database.
        postgres: SearchIndex = PostgresIndex(results=settings.search_results_kept, lines=settings.search_lines_kept)
        return postgres
    return MemoryIndex()


async def run_indexer(index: SearchIndex, source: DocumentSource, settings: Settings, *,
                      once: bool = False) -> Drained:
    """Drain the outbox until stopped (``meiji index run``), or until it is empty (``once``)."""
    total = Drained()
    while True:
        try:
            done = await drain_round(index, source)
        except Exception:  # a failed round is logged; its rows stay pending and are retried
            if once:
                raise
            log.exception("search indexer round failed")
            done = Drained()
        total += done
        if once and not done.rows:
            return total
        if not done.rows:
            await asyncio.sleep(settings.indexer_seconds)


async def wait_for_owner(settings: Settings, within: float = 60.0) -> int | None:
    """Wait until the owning process has applied every outbox row pending now; how many, or None on timeout.

    What ``meiji index run --once`` does while a server owns the embedded index: the outbox is
    drained by its owner, and the command returns once that happened.
    """
    last = await OutboxEntry.filter(done=False).order_by("-id").first()
    if last is None:
        return 0
    pending = await OutboxEntry.filter(done=False, id__lte=last.id).count()
    deadline = asyncio.get_running_loop().time() + within
    while await OutboxEntry.exists(done=False, id__lte=last.id):
        if asyncio.get_running_loop().time() >= deadline:
            return None
        await asyncio.sleep(min(0.2, settings.indexer_seconds))
    return pending


class Upgrade:
    """Rebuilds, once, an index that an older version built (``outdated()``: it lacks a field this
    version reads, such as ``sound``), in the process that runs the background jobs. Searches use
    the old index meanwhile (found by their text only) and the new one from the swap on."""

    def __init__(self) -> None:
        self.done = False

    async def __call__(self, index: SearchIndex, source: DocumentSource, settings: Settings) -> int | None:
        if self.done or isinstance(index, Follower):
            return None
        if not await index.outdated():
            self.done = True
            return None
        log.warning("the search index was built by an older version: rebuilding it aside "
                    "(searches use the old one until the swap)")
        count = await reindex(index, source, settings, progress=False)
        log.info("search index rebuilt with %d documents", count)
        self.done = True
        return count


async def reindex(index: SearchIndex, source: DocumentSource, settings: Settings, *, progress: bool = True) -> int:
    """Rebuild the index from the source of truth aside, swap it in, then replay what changed meanwhile.

    Searches keep answering from the old index until the swap. Every change made after the rebuild
    started has an outbox row with a higher id; those keys are enqueued again so the indexer brings
    them into the new index, whichever index they were drained into before.
    """
    root = embedded_dir(settings)
    if root is None:
        return await _reindex(index, source, progress=progress)
    async with ownership.rebuilding(root):
        return await _reindex(index, source, progress=progress)


async def _reindex(index: SearchIndex, source: DocumentSource, *, progress: bool) -> int:
    last = await OutboxEntry.all().order_by("-id").first()
    mark = last.id if last else 0
    await index.set_vocabulary(await source.vocabulary())
    bar = tqdm(total=await source.count(), unit="doc", desc="reindex", disable=not progress)

    async def batches() -> AsyncIterator[list[Document]]:
        async for docs in source.everything():
            bar.update(len(docs))
            yield docs

    async def gone() -> list[DocKey]:
        # Taken down while the rebuild ran, perhaps by another process (the server, on a notice)
        # whose delete reached the old index only: the new one drops them before it goes live.
        rows = await OutboxEntry.filter(id__gt=mark).values_list("doc_type", "doc_id")
        keys = [k for k in dict.fromkeys((str(t), str(i)) for t, i in rows) if k != VOCABULARY]
        current = await source.load(keys) if keys else {}
        return [k for k in keys if current.get(k) is None]

    try:
        count = await index.rebuild(batches(), gone=gone)
    finally:
        bar.close()
    changed = await OutboxEntry.filter(id__gt=mark).values_list("doc_type", "doc_id")
    await enqueue(list(dict.fromkeys((str(t), str(i)) for t, i in changed)))
    return count
