"""The search room's outbox, the one part of it other rooms write: which documents changed.

Content calls ``enqueue`` inside the transaction that changed a post, so the outbox row commits or
rolls back with the change; the indexer (``search.services.drain``) applies it later. Other rooms
import this module and ``search.interfaces``, never the indexer itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from search.interfaces import DocKey
from search.models import OutboxEntry

# Content enqueues this key when procedures or wiki titles/aliases change: reload the vocabulary.
VOCABULARY: DocKey = ("vocabulary", "*")


async def enqueue(keys: Sequence[DocKey]) -> None:
    """Record that these documents changed; call inside the transaction that changed them."""
    if keys:
        await OutboxEntry.bulk_create([OutboxEntry(doc_type=t, doc_id=i) for t, i in keys])
