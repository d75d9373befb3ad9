"""An embedded index as a process that does not own it sees it: it reads, and never writes the live index.

Every content change already writes its outbox row in its own transaction, so a process that is not
the owner (``search.ownership``) loses nothing by leaving the index alone: the owner applies the
row within a second. Writes here are therefore no-ops, and ``search.services.drain`` does nothing
with a follower (marking rows done without writing them would lose them). A rebuild is the one
write allowed: it builds a new generation in a directory of its own, never in the live one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from search.interfaces import DocKey, Document, Gone, Query, Results, SearchIndex, Suggestion, Term


class Follower:
    """``SearchIndex`` over an embedded index owned by another process."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    async def upsert(self, docs: Sequence[Document]) -> None:
        return None  # the owner applies the outbox row written with the change

    async def delete(self, keys: Sequence[DocKey]) -> None:
        return None  # likewise: the owner deletes it within a second

    async def mark(self) -> int:
        return await self.index.mark()

    async def apply(self, docs: Sequence[Document], deletes: Sequence[DocKey], *,
                    loaded_at: int | None = None) -> None:
        return None

    async def rebuild(self, batches: AsyncIterator[list[Document]], *, gone: Gone | None = None) -> int:
        return await self.index.rebuild(batches, gone=gone)

    async def search(self, query: Query) -> Results:
        return await self.index.search(query)

    async def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        return await self.index.suggest(prefix, limit)

    async def set_vocabulary(self, terms: Sequence[Term]) -> None:
        await self.index.set_vocabulary(terms)

    async def outdated(self) -> bool:
        return await self.index.outdated()

    async def clear(self) -> None:
        raise RuntimeError("only the process that owns the search index may clear it")

    async def ping(self) -> None:
        await self.index.ping()

    async def close(self) -> None:
        await self.index.close()
