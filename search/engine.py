"""What every real backend shares: the analyzer, the vocabulary, query plans, snippets, suggestions.

A backend (tantivy, Whoosh, PostgreSQL) only stores prepared documents and runs a ``Plan``; this
base class turns user text into the plan, retries a long query word by word when its whole runs
find nothing, and builds the hits.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from search.analyzer import Analyzer, Plan, snippet
from search.interfaces import DocKey, Document, Hit, Query, Results, Suggestion, Term
from search.suggestions import Suggester

# Batches larger than this are analysed off the event loop (segmentation is CPU work).
INLINE_BATCH = 16


@dataclass(frozen=True)
class Prepared:
    """A document with its index tokens."""

    doc: Document
    grams: str
    words: str

    @property
    def key(self) -> str:
        return key_text(self.doc.key)

    @property
    def created_us(self) -> int:
        return to_us(self.doc.created_at)


@dataclass(frozen=True)
class Row:
    """A matching document as a backend returns it."""

    type: str
    id: str
    title: str
    text: str
    created_at: datetime
    procedure: str | None
    score: float


@dataclass(frozen=True)
class Found:
    rows: list[Row]
    total: int


def key_text(key: DocKey) -> str:
    return f"{key[0]}:{key[1]}"


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch (naive times are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000)


def from_us(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, tz=UTC)


class EngineIndex(ABC):
    """The parts of ``SearchIndex`` that do not depend on the engine."""

    def __init__(self) -> None:
        self.analyzer = Analyzer()
        self.suggester = Suggester()

    # --- what each backend implements ---------------------------------------------------------

    @abstractmethod
    async def _write(self, upserts: Sequence[Prepared], deletes: Sequence[str]) -> None:
        """Replace ``upserts`` and remove the ``deletes`` keys in one commit, visible on return."""

    @abstractmethod
    async def _find(self, plan: Plan, query: Query) -> Found:
        """The rows matching ``plan`` and the filters of ``query``, in its order, one page."""

    @abstractmethod
    async def _rebuild(self, batches: AsyncIterator[list[Prepared]]) -> int:
        """Build a complete new index from ``batches`` aside, then swap it in."""

    # --- the SearchIndex protocol -------------------------------------------------------------

    def prepare(self, docs: Sequence[Document]) -> list[Prepared]:
        """Analyse documents (CPU work)."""
        out = []
        for doc in docs:
            grams, words = self.analyzer.index_fields(doc)
            out.append(Prepared(doc, grams, words))
        return out

    async def _prepare(self, docs: Sequence[Document]) -> list[Prepared]:
        if len(docs) <= INLINE_BATCH:
            return self.prepare(docs)
        return await asyncio.to_thread(self.prepare, docs)

    async def upsert(self, docs: Sequence[Document]) -> None:
        if docs:
            await self._write(await self._prepare(docs), ())

    async def delete(self, keys: Sequence[DocKey]) -> None:
        if keys:
            await self._write((), [key_text(k) for k in keys])

    async def apply(self, docs: Sequence[Document], deletes: Sequence[DocKey]) -> None:
        """Upsert ``docs`` and delete ``deletes`` in one commit."""
        if docs or deletes:
            await self._write(await self._prepare(docs), [key_text(k) for k in deletes])

    async def rebuild(self, batches: AsyncIterator[list[Document]]) -> int:
        """Index every document of ``batches`` into a new index, then swap it in (no downtime)."""

        async def prepared() -> AsyncIterator[list[Prepared]]:
            async for docs in batches:
                yield await asyncio.to_thread(self.prepare, docs)

        return await self._rebuild(prepared())

    async def search(self, query: Query) -> Results:
        plan = self.analyzer.plan(query.text)
        if plan is None:
            return Results([], 0)
        found = await self._find(plan, query)
        if found.total == 0 and self.analyzer.relaxable(query.text):
            # 效果非常好 finds nothing as one phrase: every word of it must then occur, anywhere.
            relaxed = self.analyzer.plan(query.text, relaxed=True)
            if relaxed is not None and relaxed != plan:
                plan = relaxed
                found = await self._find(plan, query)
        hits = [Hit(r.type, r.id, r.title, snippet(r.title, r.text, plan.needles), r.score, r.created_at,
                    r.procedure) for r in found.rows]
        return Results(hits, found.total)

    async def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        return self.suggester.suggest(prefix, limit)

    async def set_vocabulary(self, terms: Sequence[Term]) -> None:
        def build() -> Suggester:
            self.analyzer.set_terms(terms)
            return Suggester(terms)

        self.suggester = await asyncio.to_thread(build)
