"""The pure-Python embedded backend: Whoosh in a local directory.

Same tokens as tantivy (our analyzer's, split on spaces). One writer per directory: writes are
serialized and each call is one commit, after which the searcher is refreshed. Much slower than
tantivy (see bench/search.py); kept for installations that cannot load a compiled engine.
Popularity does not change Whoosh's ranking (BM25F only).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

from search._generations import Generations
from search.analyzer import LINE_CACHE, AllOf, Match, Plan, Sound, Sub
from search.engine import EngineIndex, Found, Prepared, Row, from_us
from search.interfaces import Query

T = TypeVar("T")

WRITER_TIMEOUT = 10.0  # seconds to wait for another writer's lock


def schema() -> Schema:
    tokens = SpaceSeparatedTokenizer()
    return Schema(
        key=ID(unique=True),
        type=ID(stored=True),
        id=ID(stored=True),
        procedure=ID(stored=True),
        clinic=ID,
        grams=TEXT(analyzer=tokens, phrase=True),
        # Each distinct character once: a one-character query is one posting list here, where on
        # ``grams`` it would be the union of every bigram starting with it (very slow in Python).
        chars=TEXT(analyzer=tokens, phrase=False),
        words=TEXT(analyzer=tokens, phrase=False),
        sound=TEXT(analyzer=tokens, phrase=True),
        created=NUMERIC(bits=64, signed=True, stored=True, sortable=True),
        title=STORED,
        text=STORED,
    )


SCHEMA = schema()


def _fields(p: Prepared, sound: bool = True) -> dict[str, Any]:
    d = p.doc
    fields: dict[str, Any] = {"key": p.key, "type": d.type, "id": d.id, "grams": p.grams, "words": p.words,
                              "chars": p.chars,
                              "created": p.created_us, "title": d.title, "text": d.text}
    if d.procedure:
        fields["procedure"] = d.procedure
    if d.clinic_id:
        fields["clinic"] = d.clinic_id
    if sound:
        fields["sound"] = p.sound
    return fields


def compile_match(match: Match) -> wq.Query:
    """Our query tree as Whoosh query objects; no query parser is involved."""
    if isinstance(match, Sound):
        pairs = match.grams
        return wq.Term("sound", pairs[0]) if len(pairs) == 1 else wq.Phrase("sound", pairs)
    if isinstance(match, Sub):
        grams = match.grams
        if len(match.text) == 1:
            return wq.Term("chars", match.text)
        if len(grams) == 1:
            return wq.Term("grams", grams[0])
        return wq.Phrase("grams", grams)
    parts = [compile_match(part) for part in match.parts]
    return wq.And(parts) if isinstance(match, AllOf) else wq.Or(parts)


def compile_query(plan: Plan, query: Query) -> tuple[wq.Query, wq.Query | None]:
    """The scored query and the filter."""
    scored: wq.Query = compile_match(plan.match)
    if plan.exclude is not None:
        scored = wq.AndNot(scored, compile_match(plan.exclude))
    if plan.boosts:
        scored = wq.AndMaybe(scored, wq.Or([wq.Term("words", w) for w in plan.boosts]))
    filters: list[wq.Query] = []
    if query.types:
        filters.append(wq.Or([wq.Term("type", t) for t in query.types]))
    if query.procedure is not None:
        filters.append(wq.Term("procedure", query.procedure))
    if query.clinic_id is not None:
        filters.append(wq.Term("clinic", query.clinic_id))
    return scored, (wq.And(filters) if filters else None)


class WhooshIndex(EngineIndex):
    """``SearchIndex`` on a Whoosh directory (``MEIJI_SEARCH_URL=whoosh:///abs/dir``)."""

    def __init__(self, root: Path, *, sound: bool = True, results: int = 0, lines: int = LINE_CACHE) -> None:
        super().__init__(sound=sound, results=results, lines=lines)
        self.generations = Generations(root)
        self._name = ""
        self._index: Any = None
        self._searcher: _Shared | None = None
        self._sound = True  # whether the live generation has the field (one built before it has not)
        self._guard = threading.Lock()
        self._serial = asyncio.Lock()

    def _live(self) -> Any:
        name = self.generations.current()
        with self._guard:
            if self._index is None or name != self._name:
                path = self.generations.path(name)
                # ``exists_in`` reads the newest table of contents too.
                if _retried(lambda: bool(whoosh_index.exists_in(str(path)))):
                    self._index = _open(path)
                else:
                    self._index = whoosh_index.create_in(str(path), SCHEMA)
                self._replace_searcher()
                assert self._searcher is not None
                self._sound = "sound" in self._searcher.searcher.schema
                self._name = name
            return self._index

    def _replace_searcher(self) -> None:
        """Under ``_guard``: a new searcher on the live index; the old one closes once no search holds it."""
        if self._searcher is not None:
            self._searcher.retire()
        self._searcher = _Shared(self._index.searcher())

    def _fresh(self) -> _Shared:
        """Under ``_guard``: the searcher, reopened if a commit happened since it was opened."""
        assert self._searcher is not None
        if not self._searcher.searcher.up_to_date():
            # ``refresh()`` would fail on an index that was empty: open a new searcher instead.
            self._replace_searcher()
        assert self._searcher is not None
        return self._searcher

    def _refresh(self) -> None:
        self._live()
        with self._guard:
            self._fresh()

    @contextmanager
    def _searching(self) -> Iterator[Any]:
        """The current searcher, held open for the caller while other threads search and commit."""
        self._live()
        with self._guard:
            shared = self._fresh()
            shared.users += 1
        try:
            yield shared.searcher
        finally:
            with self._guard:
                shared.release()

    def _write_now(self, upserts: Sequence[Prepared], deletes: Sequence[str]) -> None:
        index = self._live()
        writer = index.writer(timeout=WRITER_TIMEOUT)
        try:
            for key in deletes:
                writer.delete_by_term("key", key)
            sound = self._sound  # an index built before the field existed has not
            for p in upserts:
                writer.update_document(**_fields(p, sound))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        self._refresh()

    async def _write(self, upserts: Sequence[Prepared], deletes: Sequence[str]) -> None:
        async with self._serial:
            await asyncio.to_thread(self._write_now, upserts, deletes)

    # Whoosh is pure Python and takes milliseconds: searches run in a worker thread.
    IN_PROCESS = IN_THREAD = True

    def _find_here(self, plan: Plan, query: Query) -> Found:
        scored, filters = compile_query(plan, query)
        wanted = query.offset + max(query.limit, 1)  # a limit of 0 asks only for the count
        rows = []
        with self._searching() as searcher:
            if query.sort == "recent":
                results = searcher.search(scored, limit=wanted, filter=filters, sortedby="created", reverse=True)
            else:
                results = searcher.search(scored, limit=wanted, filter=filters)
            for hit in results[query.offset:query.offset + query.limit]:
                stored = hit.fields()
                rows.append(Row(stored["type"], stored["id"], stored["title"], stored["text"],
                                from_us(stored["created"]), stored.get("procedure"),
                                0.0 if query.sort == "recent" else float(hit.score or 0.0)))
            return Found(rows, len(results))

    def _hears(self) -> bool:
        # Read from the searcher's schema when the generation was opened, never ``index.schema``:
        # that re-reads the table of contents, which a commit in another thread or process may
        # delete between listing and opening it.
        self._live()
        return self._sound

    async def _build_aside(self, batches: AsyncIterator[list[Prepared]]) -> Any:
        name = self.generations.next()
        fresh = whoosh_index.create_in(str(self.generations.path(name)), SCHEMA)
        writer = fresh.writer(limitmb=256)

        def add(batch: list[Prepared]) -> None:
            for p in batch:
                writer.add_document(**_fields(p))

        try:
            async for batch in batches:
                await asyncio.to_thread(add, batch)
        except BaseException:
            writer.cancel()
            raise
        await asyncio.to_thread(writer.commit)
        return name, fresh

    async def _swap(self, aside: Any, late_deletes: Sequence[str], started: int) -> None:
        name, fresh = aside

        def finish() -> None:
            if late_deletes:
                writer = fresh.writer(timeout=WRITER_TIMEOUT)
                for key in late_deletes:
                    writer.delete_by_term("key", key)
                writer.commit()
            self.generations.swap(name)
            self._live()

        async with self._serial:
            await asyncio.to_thread(finish)

    async def clear(self) -> None:
        def clear_now() -> None:
            index = self._live()
            writer = index.writer(timeout=WRITER_TIMEOUT)
            writer.commit(mergetype=_clear_segments())
            self._refresh()

        async with self._serial:
            await asyncio.to_thread(clear_now)
        self._changed()

    async def _stamp(self) -> Hashable:
        return self.generations.current()

    async def ping(self) -> None:
        await asyncio.to_thread(self._refresh)

    async def close(self) -> None:
        async with self._serial:
            with self._guard:
                if self._searcher is not None:
                    self._searcher.retire()
                self._searcher = None
                self._index = None
                self._name = ""


class _Shared:
    """A Whoosh searcher and how many searches hold it: a replaced one closes when the last lets go."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.users = 0
        self.retired = False

    def retire(self) -> None:
        self.retired = True
        if not self.users:
            self.searcher.close()

    def release(self) -> None:
        self.users -= 1
        if self.retired and not self.users:
            self.searcher.close()


def _retried(call: Callable[[], T]) -> T:
    """``call()``, retried like Whoosh's own ``reader()``: a commit elsewhere may delete the table of
    contents ``call`` just listed as the newest."""
    for _ in range(9):
        try:
            return call()
        except FileNotFoundError:
            time.sleep(0.05)
    return call()


def _open(path: Path) -> Any:
    return _retried(lambda: whoosh_index.open_dir(str(path)))


def _clear_segments() -> Any:
    from whoosh.writing import CLEAR

    return CLEAR
