"""The search room's outbox, the one part of it other rooms write: which documents changed.

Content calls ``enqueue`` inside the transaction that changed a post, so the outbox row commits or
rolls back with the change; the indexer (``search.services.drain``) applies it later. Other rooms
import this module and ``search.interfaces``, never the indexer itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from kernel import db
from kernel.clock import now
from search.interfaces import DocKey

# Content enqueues this key when procedures or wiki titles/aliases change: reload the vocabulary.
VOCABULARY: DocKey = ("vocabulary", "*")


# Written once: every post, entry, answer and edit runs it, and Tortoise's bulk_create built it again
# on each call for more than the database took to run it (``search.models.OutboxEntry``'s columns).
_INSERT = "INSERT INTO search_outbox (doc_type, doc_id, created_at, done) VALUES "
_ROW = "(?, ?, ?, ?)"
# Keys per statement: a doctor who moves to another clinic re-indexes all their reviews, and a
# statement takes at most 32,767 parameters on PostgreSQL (32,766 by SQLite's default).
CHUNK = 1000


async def enqueue(keys: Sequence[DocKey]) -> None:
    """Record that these documents changed; call inside the transaction that changed them."""
    moment = now()
    for start in range(0, len(keys), CHUNK):
        part = keys[start:start + CHUNK]
        params = [value for doc_type, doc_id in part for value in (doc_type, doc_id, moment, False)]
        statement = _INSERT + ", ".join([_ROW] * len(part))
        await db.connection().execute_query(db.placeholders(statement), params)
