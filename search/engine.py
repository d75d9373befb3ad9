"""What every real backend shares: the analyzer, the vocabulary, query plans, snippets, suggestions.

A backend (tantivy, Whoosh, PostgreSQL) only stores prepared documents and runs a ``Plan``; this
base class turns user text into the plan, retries a long query word by word when its whole runs
find nothing, and builds the hits: first those that contain the query, then those that only
sound like it (``Plan.by_sound``).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Generator, Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, cast

from kernel.caches import MISSING, Kept
from search.analyzer import LINE_CACHE, Analyzer, Plan, snippet
from search.interfaces import DocKey, Document, Gone, Hit, Query, Results, Suggestion, Term
from search.suggestions import Suggester

# Batches with more text than this are analysed off the event loop (segmentation is CPU work).
INLINE_CHARS = 4_000
# Tombstones are kept this long (and pruned past this many): far longer than a drain round takes.
TOMBSTONE_SECONDS = 600.0
TOMBSTONES = 10_000


@dataclass(frozen=True)
class Prepared:
    """A document with its index tokens."""

    doc: Document
    grams: str
    words: str
    sound: str = ""

    @property
    def key(self) -> str:
        return key_text(self.doc.key)

    @property
    def created_us(self) -> int:
        return to_us(self.doc.created_at)

    @property
    def chars(self) -> str:
        """Each character of the text once: a one-character query is one posting list here, where
        on ``grams`` it is the union of every bigram that starts with it (and the character alone)."""
        return " ".join(dict.fromkeys(self.grams.replace(" ", "")))


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
    total_is_estimate: bool = False


def key_text(key: DocKey) -> str:
    return f"{key[0]}:{key[1]}"


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch (naive times are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000)


def _run_here(steps: Generator[tuple[Plan, Query], Found, Results],
              find: Callable[[Plan, Query], Found]) -> Results:
    """Run a search's steps (``EngineIndex._steps``) with a synchronous ``find``."""
    try:
        step = next(steps)
        while True:
            step = steps.send(find(*step))
    except StopIteration as done:
        return cast(Results, done.value)


# Every backend's ``total`` is exact up to this many matches and may be an estimate above
# (``total_is_estimate``): PostgreSQL ranks this many candidates, the embedded engines stop
# counting the hits by sound.
COUNTED_EXACTLY = 200


def from_us(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, tz=UTC)


class EngineIndex(ABC):
    """The parts of ``SearchIndex`` that do not depend on the engine."""

    def __init__(self, *, sound: bool = True, results: int = 0, lines: int = LINE_CACHE) -> None:
        # sound=False: the engine without search by sound (no sound tokens), for the benchmark.
        self.analyzer = Analyzer(sound=sound, lines=lines)
        # Pages of hits kept by query while the index is unchanged, as Solr's query result cache:
        # a query asked again is answered without the engine (``results`` > 0 of them). Each change
        # made here empties them; ``_stamp`` tells of changes made elsewhere.
        self._results: Kept[tuple[Query, Hashable], Results] | None = (
            Kept(results, self.KEPT_SECONDS) if results > 0 else None)
        self._changes = 0
        self.answers = {"kept": 0, "searched": 0}  # how searches were answered, while pages are kept
        self.suggester = Suggester()
        self._writing = asyncio.Lock()  # a write and the tombstone check before it are one step
        self._sequence = itertools.count(1)
        self._tombstones: dict[str, tuple[int, float]] = {}  # key -> (sequence, monotonic time) of its delete

    # --- what each backend implements ---------------------------------------------------------

    @abstractmethod
    async def _write(self, upserts: Sequence[Prepared], deletes: Sequence[str]) -> None:
        """Replace ``upserts`` and remove the ``deletes`` keys in one commit, visible on return."""

    # An engine in this process (tantivy, Whoosh) sets IN_PROCESS and runs a plan in ``_find_here``,
    # synchronously; one out of it (PostgreSQL) awaits ``_find``. IN_THREAD: the whole search (every
    # plan and the snippets) runs in one worker thread, for an engine slow enough to be worth it.
    # Under load a hand-over to a thread waits two turns of a busy event loop (about 40 ms at 32
    # connections in bench/mixed.py), far longer than a tantivy search (about 1 ms), which therefore
    # runs on the loop's thread; Whoosh, pure Python and slower, keeps its thread.
    IN_PROCESS = False
    IN_THREAD = False
    # How long a kept page of hits may live at most (None: until the next change).
    KEPT_SECONDS: float | None = None
    # Past this many documents that contain the query, a page among them does not count the ones
    # that only sound like it (a second search, about a quarter of a first search's time at 170,000
    # documents on tantivy): ``total`` is then the exact hits' count, marked an estimate, as
    # PostgreSQL's is above as many matches. A page past the exact hits still finds them.
    SOUND_COUNTED_UP_TO = COUNTED_EXACTLY

    def _find_here(self, plan: Plan, query: Query) -> Found:
        """The rows matching ``plan`` and the filters of ``query``, in its order, one page."""
        raise NotImplementedError

    async def _find(self, plan: Plan, query: Query) -> Found:
        """What ``_find_here`` answers, awaited: an engine out of this process implements it."""
        raise NotImplementedError

    @abstractmethod
    async def _build_aside(self, batches: AsyncIterator[list[Prepared]]) -> Any:
        """Build a complete new index from ``batches`` beside the live one; returns a handle for ``_swap``."""

    def _hears(self) -> bool:
        """Whether the live index has the sound field (an index built before it existed does not)."""
        return True

    async def outdated(self) -> bool:
        """Whether the index was built without a field this version reads: rebuild it (``meiji search reindex``)."""
        return not self._hears()

    @abstractmethod
    async def _swap(self, aside: Any, late_deletes: Sequence[str], started: int) -> None:
        """Delete ``late_deletes`` from the new index, then make it the live one (called under the write lock)."""

    # --- the SearchIndex protocol -------------------------------------------------------------

    def prepare(self, docs: Sequence[Document]) -> list[Prepared]:
        """Analyse documents (CPU work)."""
        out = []
        for doc in docs:
            grams, words, sound = self.analyzer.index_fields(doc)
            out.append(Prepared(doc, grams, words, sound))
        return out

    async def _prepare(self, docs: Sequence[Document]) -> list[Prepared]:
        if sum(len(d.title) + len(d.text) for d in docs) <= INLINE_CHARS:
            return self.prepare(docs)
        return await asyncio.to_thread(self.prepare, docs)

    async def upsert(self, docs: Sequence[Document]) -> None:
        if docs:
            prepared = await self._prepare(docs)
            async with self._writing:
                await self._commit(prepared, ())

    async def delete(self, keys: Sequence[DocKey]) -> None:
        if keys:
            texts = [key_text(k) for k in keys]
            async with self._writing:
                self._bury(texts)
                await self._commit((), texts)

    async def mark(self) -> int:
        return next(self._sequence)

    async def apply(self, docs: Sequence[Document], deletes: Sequence[DocKey], *,
                    loaded_at: int | None = None) -> None:
        """Upsert ``docs`` and delete ``deletes`` in one commit; a document deleted after ``loaded_at`` stays out."""
        if not docs and not deletes:
            return
        prepared = await self._prepare(docs)
        async with self._writing:
            await self._commit(self._unburied(prepared, loaded_at), [key_text(k) for k in deletes])

    async def _commit(self, upserts: Sequence[Prepared], deletes: Sequence[str]) -> None:
        await self._write(upserts, deletes)
        self._changed()

    async def rebuild(self, batches: AsyncIterator[list[Document]], *, gone: Gone | None = None) -> int:
        """Index every document of ``batches`` into a new index, then swap it in (no downtime).

        Documents deleted while the new index was built are deleted from it before the swap: those
        this process deleted (its tombstones) and those ``gone`` names (deleted by other processes).
        """
        started = await self.mark()
        count = 0

        async def prepared() -> AsyncIterator[list[Prepared]]:
            # One batch ahead: the next batch is analysed in a thread while the backend writes
            # this one (PostgreSQL parses and indexes it in its own process, on the other core).
            nonlocal count
            ahead: asyncio.Future[list[Prepared]] | None = None
            try:
                async for docs in batches:
                    count += len(docs)
                    analysing = asyncio.ensure_future(asyncio.to_thread(self.prepare, docs))
                    if ahead is not None:
                        yield await ahead
                    ahead = analysing
                if ahead is not None:
                    yield await ahead
            finally:
                if ahead is not None and not ahead.done():
                    ahead.cancel()  # the build failed: nobody will read that batch

        aside = await self._build_aside(prepared())
        async with self._writing:
            late = [key for key, (seq, _) in self._tombstones.items() if seq > started]
            if gone is not None:
                late.extend(key_text(key) for key in await gone())
            await self._swap(aside, late, started)
            self._changed()
        return count

    # --- tombstones: a synchronous delete wins over a drain that loaded the document before it ---

    def _bury(self, keys: Sequence[str]) -> None:
        seq, now = next(self._sequence), time.monotonic()
        for key in keys:
            self._tombstones[key] = (seq, now)
        if len(self._tombstones) > TOMBSTONES:
            old = now - TOMBSTONE_SECONDS
            self._tombstones = {k: v for k, v in self._tombstones.items() if v[1] >= old}

    def _unburied(self, prepared: Sequence[Prepared], loaded_at: int | None) -> list[Prepared]:
        if loaded_at is None:
            return list(prepared)
        return [p for p in prepared if self._tombstones.get(p.key, (0, 0.0))[0] <= loaded_at]

    async def search(self, query: Query) -> Results:
        if self._results is None:
            return await self._search(query)
        key, changes = (query, await self._stamp()), self._changes
        kept = self._results.get(key)
        if kept is not MISSING:
            self.answers["kept"] += 1
            return kept
        self.answers["searched"] += 1
        found = await self._search(query)
        if changes == self._changes:  # else the index changed while this search ran: do not keep it
            self._results.put(key, found)
        return found

    @property
    def keeps_pages(self) -> bool:
        """Whether this index keeps pages of hits (``MEIJI_SEARCH_RESULTS_KEPT`` > 0, and it may)."""
        return self._results is not None

    def _changed(self) -> None:
        """The index's content or vocabulary changed: no kept page of hits holds any more."""
        self._changes += 1
        if self._results is not None:
            self._results.clear()

    async def _stamp(self) -> Hashable:
        """What changes with every change to the index made by another process, part of a kept
        page's key: the live generation (tantivy, Whoosh: a rebuild swapped in by ``meiji search
        reindex``), the shared count of changes (PostgreSQL)."""
        return None

    async def _search(self, query: Query) -> Results:
        plan = self.analyzer.plan(query.text)
        if plan is None:
            return Results([], 0)
        steps = self._steps(plan, query)
        if self.IN_PROCESS and self.IN_THREAD:
            return await asyncio.to_thread(_run_here, steps, self._find_here)
        if self.IN_PROCESS:
            return _run_here(steps, self._find_here)
        try:
            step = next(steps)
            while True:
                step = steps.send(await self._find(*step))
        except StopIteration as done:
            return cast(Results, done.value)

    def _steps(self, plan: Plan, query: Query) -> Generator[tuple[Plan, Query], Found, Results]:
        """A search, written once for every engine: it yields each ``(plan, query)`` to run and is
        sent back what was found; it returns the page of hits."""
        by_sound = plan.by_sound() if self._hears() else None
        # The search by sound runs after the exact one, with its count in hand, and asks only for the
        # rows the page has room for (none, only the count, when the exact hits fill it). Run beside it,
        # it answered one query sooner but read a page of stored documents a full page then dropped:
        # at 8 connections on tantivy, 452 req/s against 592 one after the other (bench/README.md).
        found = yield plan, query
        heard = Found([], 0)
        if by_sound is not None and not found.total_is_estimate:
            if found.total > self.SOUND_COUNTED_UP_TO and query.offset + query.limit <= found.total:
                heard = Found([], 0, total_is_estimate=True)  # more than anyone pages through: not counted
            else:
                # They rank after every document that contains the query: the page takes them once
                # those run out, from the offset past them. A full page still asks for their count
                # (limit 0): the count is what lets the pages go on to them.
                wanted = query.limit - len(found.rows)
                heard = self._after(found, (yield replace(by_sound, excluded=found.total), replace(
                    query, offset=max(0, query.offset - found.total), limit=max(wanted, 0))), query)
        if found.total == 0 and heard.total == 0 and self.analyzer.relaxable(query.text):
            # 效果非常好 finds nothing as one phrase: every word of it must then occur, anywhere.
            relaxed = self.analyzer.plan(query.text, relaxed=True)
            if relaxed is not None and relaxed != plan:
                plan = relaxed
                found = yield plan, query
        hits = [Hit(r.type, r.id, r.title, snippet(r.title, r.text, plan.needles), r.score, r.created_at,
                    r.procedure) for r in found.rows]
        marks = by_sound.needles if by_sound is not None else plan.needles  # with names that read like it
        hits.extend(Hit(r.type, r.id, r.title, snippet(r.title, r.text, marks, sounds=plan.sounds), r.score,
                        r.created_at, r.procedure, match="sound") for r in heard.rows)
        return Results(hits, found.total + heard.total, found.total_is_estimate or heard.total_is_estimate)

    @staticmethod
    def _after(found: Found, heard: Found, query: Query) -> Found:
        """The rows of ``heard`` that fit on the page after ``found``'s. None when the matches are
        more than a backend counts (PostgreSQL's estimate): they would be beyond the last page."""
        if found.total_is_estimate:
            return Found([], 0)
        return Found(heard.rows[:max(0, query.limit - len(found.rows))], heard.total, heard.total_is_estimate)

    async def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        return self.suggester.suggest(prefix, limit)

    async def set_vocabulary(self, terms: Sequence[Term]) -> None:
        def build() -> Suggester:
            self.analyzer.set_terms(terms)
            return Suggester(terms)

        self.suggester = await asyncio.to_thread(build)
        self._changed()  # the same text may now be planned otherwise (a new alias)
