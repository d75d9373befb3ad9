"""The search room's service: the outbox, the indexer that drains it, and building the index."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from meiji.settings import Settings
from search.interfaces import DocKey, DocumentSource, SearchIndex
from search.memory import MemoryIndex
from search.models import OutboxEntry


async def enqueue(keys: Sequence[DocKey]) -> None:
    """Record that these documents changed; call inside the transaction that changed them."""
    await OutboxEntry.bulk_create([OutboxEntry(doc_type=t, doc_id=i) for t, i in keys])


async def drain(index: SearchIndex, source: DocumentSource, batch: int = 500) -> int:
    """Index what the outbox names, then delete those rows; returns how many keys were handled."""
    entries = await OutboxEntry.all().order_by("id").limit(batch)
    if not entries:
        return 0
    keys = list(dict.fromkeys((e.doc_type, e.doc_id) for e in entries))
    current = await source.load(keys)
    await index.upsert([d for d in current.values() if d is not None])
    await index.delete([k for k, d in current.items() if d is None])
    await OutboxEntry.filter(id__lte=entries[-1].id).delete()
    return len(keys)


def build_index(settings: Settings) -> SearchIndex:
    """The backend named by ``MEIJI_SEARCH_URL``."""
    return MemoryIndex()


async def run_indexer(index: SearchIndex, source: DocumentSource, settings: Settings, *, once: bool = False) -> None:
    """Drain the outbox until stopped (``meiji index run``), or once."""
    while True:
        handled = await drain(index, source)
        if once and not handled:
            return
        if not handled:
            await asyncio.sleep(settings.indexer_seconds)


async def reindex(index: SearchIndex, source: DocumentSource, settings: Settings, *, progress: bool = True) -> int:
    """Rebuild the index from the source of truth; returns how many documents were indexed."""
    await index.clear()
    count = 0
    async for docs in source.everything():
        await index.upsert(docs)
        count += len(docs)
    return count
