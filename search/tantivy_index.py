"""The embedded default: tantivy (the Rust engine) in a local directory, one writer per directory.

Tokens come from our analyzer as space-separated text and tantivy's whitespace tokenizer keeps them
as they are. Each call that writes is one commit (~20 ms), after which the reader is reloaded, so
a change is searchable when the call returns. Unused segment files are collected every
``GC_COMMITS`` commits. Only one process may write a directory: run the indexer in the app process
(or stop the app while ``meiji index run`` runs); ``meiji search reindex`` builds a new generation
aside and any process with the index open switches to it on its next call.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Hashable, Sequence
from pathlib import Path
from typing import Any

import tantivy

from kernel.caches import MISSING, Kept
from search._generations import Generations
from search.analyzer import LINE_CACHE, AllOf, AnyOf, Match, Plan, Sound, Sub
from search.engine import EngineIndex, Found, Prepared, Row, from_us
from search.interfaces import Query

GC_COMMITS = 50
WRITER_HEAP = 64_000_000
REBUILD_HEAP = 400_000_000
QUERY_CACHE = 2_000  # compiled queries kept, by plan and filters
# Popularity raises a score by log2(2 + popularity / POPULARITY_SCALE) (tantivy's weight_by_field).
POPULARITY_SCALE = 20.0


def schema(*, sound: bool = True) -> tantivy.Schema:
    """The fields; ``sound=False``: an index built before the sound field existed (still opened)."""
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("key", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("type", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("procedure", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("clinic", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("grams", tokenizer_name="tokens", index_option="position")
    sb.add_text_field("words", tokenizer_name="tokens", index_option="freq")
    sb.add_integer_field("created", stored=True, fast=True)
    sb.add_float_field("weight", fast=True)
    sb.add_bytes_field("title", stored=True)
    sb.add_bytes_field("text", stored=True)
    if sound:
        sb.add_text_field("sound", tokenizer_name="tokens", index_option="position")
    return sb.build()


SCHEMA = schema()
OLD_SCHEMA = schema(sound=False)
_TOKENS = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()


def _open(path: Path) -> tuple[tantivy.Index, bool]:
    """The index in ``path`` and whether it has the sound field (one built before it has not)."""
    try:
        index, sound = tantivy.Index(SCHEMA, path=str(path), reuse=True), True
    except ValueError as exc:
        if "schema does not match" not in str(exc):
            raise
        index, sound = tantivy.Index(OLD_SCHEMA, path=str(path), reuse=True), False
    index.register_tokenizer("tokens", _TOKENS)
    return index, sound


def _document(p: Prepared, sound: bool = True) -> tantivy.Document:
    doc = tantivy.Document()
    d = p.doc
    doc.add_text("key", p.key)
    doc.add_text("type", d.type)
    doc.add_text("id", d.id)
    if d.procedure:
        doc.add_text("procedure", d.procedure)
    if d.clinic_id:
        doc.add_text("clinic", d.clinic_id)
    doc.add_text("grams", p.grams)
    doc.add_text("words", p.words)
    doc.add_integer("created", p.created_us)
    doc.add_float("weight", max(0.0, d.popularity) / POPULARITY_SCALE)
    doc.add_bytes("title", d.title.encode())
    doc.add_bytes("text", d.text.encode())
    if sound:
        doc.add_text("sound", p.sound)
    return doc


def compile_match(match: Match) -> tantivy.Query:
    """Our query tree as tantivy queries: phrases of bigrams, terms, booleans. No parser is involved."""
    if isinstance(match, Sound):
        pairs = match.grams
        if len(pairs) == 1:
            return tantivy.Query.term_query(SCHEMA, "sound", pairs[0])
        said: list[str | tuple[int, str]] = list(pairs)
        return tantivy.Query.phrase_query(SCHEMA, "sound", said)
    if isinstance(match, Sub):
        grams = match.grams
        if len(match.text) == 1:
            # One character: the last of a run, or the first of a bigram.
            return tantivy.Query.boolean_query([
                (tantivy.Occur.Should, tantivy.Query.term_query(SCHEMA, "grams", match.text)),
                (tantivy.Occur.Should, tantivy.Query.regex_query(SCHEMA, "grams", re.escape(match.text) + ".")),
            ])
        if len(grams) == 1:
            return tantivy.Query.term_query(SCHEMA, "grams", grams[0])
        words: list[str | tuple[int, str]] = list(grams)
        return tantivy.Query.phrase_query(SCHEMA, "grams", words)
    occur = tantivy.Occur.Must if isinstance(match, AllOf) else tantivy.Occur.Should
    assert isinstance(match, AllOf | AnyOf)
    return tantivy.Query.boolean_query([(occur, compile_match(part)) for part in match.parts])


def compile_query(plan: Plan, query: Query) -> tantivy.Query:
    clauses: list[tuple[Any, tantivy.Query]] = [(tantivy.Occur.Must, compile_match(plan.match))]
    if plan.exclude is not None:
        clauses.append((tantivy.Occur.MustNot, compile_match(plan.exclude)))
    for word in plan.boosts:
        clauses.append((tantivy.Occur.Should, tantivy.Query.term_query(SCHEMA, "words", word)))
    filters: list[tantivy.Query] = []
    if query.types:
        filters.append(tantivy.Query.term_set_query(SCHEMA, "type", list(query.types)))
    if query.procedure is not None:
        filters.append(tantivy.Query.term_query(SCHEMA, "procedure", query.procedure))
    if query.clinic_id is not None:
        filters.append(tantivy.Query.term_query(SCHEMA, "clinic", query.clinic_id))
    clauses.extend((tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0)) for f in filters)
    return tantivy.Query.boolean_query(clauses)


class TantivyIndex(EngineIndex):
    """``SearchIndex`` on a tantivy directory (``MEIJI_SEARCH_URL=tantivy:///abs/dir``)."""

    def __init__(self, root: Path, *, sound: bool = True, results: int = 0, lines: int = LINE_CACHE) -> None:
        super().__init__(sound=sound, results=results, lines=lines)
        self.generations = Generations(root)
        self._name = ""
        self._index: tantivy.Index | None = None
        self._sound = True  # whether the live generation has the sound field
        self._writer: tantivy.IndexWriter | None = None
        self._commits = 0
        self._guard = threading.Lock()  # the writer and reopening, across worker threads
        self._serial = asyncio.Lock()  # one write at a time, without parking threads on _guard
        self._queries: Kept[Hashable, tantivy.Query] = Kept(QUERY_CACHE)

    # --- opening and following generations ----------------------------------------------------

    def _live(self) -> tantivy.Index:
        """The index of the live generation; reopened when another process swapped in a new one."""
        name = self.generations.current()
        if self._index is None or name != self._name:
            with self._guard:
                if self._index is None or name != self._name:
                    self._drop_writer()
                    self._index, self._sound = _open(self.generations.path(name))
                    self._name = name
        assert self._index is not None
        return self._index

    def _drop_writer(self) -> None:
        if self._writer is not None:
            self._writer.wait_merging_threads()
            self._writer = None

    def _write_now(self, upserts: Sequence[Prepared], deletes: Sequence[str]) -> None:
        index = self._live()
        with self._guard:
            if self._writer is None:
                self._writer = index.writer(WRITER_HEAP, 1)
            writer = self._writer
            for key in deletes:
                writer.delete_documents_by_term("key", key)
            for p in upserts:
                writer.delete_documents_by_term("key", p.key)
                writer.add_document(_document(p, self._sound))
            writer.commit()
            self._commits += 1
            if self._commits % GC_COMMITS == 0:
                writer.garbage_collect_files()
        index.reload()

    async def _write(self, upserts: Sequence[Prepared], deletes: Sequence[str]) -> None:
        async with self._serial:
            await asyncio.to_thread(self._write_now, upserts, deletes)

    # --- searching ------------------------------------------------------------------------------

    # On the event loop's thread (EngineIndex.IN_THREAD says why).
    IN_PROCESS = True

    def _find_here(self, plan: Plan, query: Query) -> Found:
        compiled = self._compiled_query(plan, query)
        searcher = self._live().searcher()
        limit = max(query.limit, 1)  # tantivy needs one; a limit of 0 asks only for the count
        if query.sort == "recent":
            result = searcher.search(compiled, limit, count=True, order_by_field="created",
                                     offset=query.offset, order=tantivy.Order.Desc)
        else:
            result = searcher.search(compiled, limit, count=True, offset=query.offset,
                                     weight_by_field="weight")
        rows = []
        for order_key, address in result.hits[:query.limit]:
            doc: dict[str, list[Any]] = searcher.doc(address).to_dict()
            rows.append(Row(doc["type"][0], doc["id"][0], bytes(doc["title"][0]).decode(),
                            bytes(doc["text"][0]).decode(), from_us(doc["created"][0]),
                            (doc.get("procedure") or [None])[0],
                            0.0 if query.sort == "recent" else float(order_key)))
        count: int | None = getattr(result, "count", None)  # missing from the stubs
        return Found(rows, count or 0)

    def _compiled_query(self, plan: Plan, query: Query) -> tantivy.Query:
        """``compile_query``'s answer, kept for queries asked again (a tantivy query describes what to
        match, independent of any searcher; building one cost about 90 µs, a regex 160 µs)."""
        # What compile_query reads, and nothing else (a search by sound carries the other's count).
        key = (plan.match, plan.exclude, plan.boosts, tuple(query.types), query.procedure, query.clinic_id)
        compiled = self._queries.get(key)
        return compiled if compiled is not MISSING else self._queries.put(key, compile_query(plan, query))

    # --- rebuilding, clearing, closing ----------------------------------------------------------

    async def _build_aside(self, batches: AsyncIterator[list[Prepared]]) -> Any:
        name = self.generations.next()
        index, _ = _open(self.generations.path(name))
        writer = index.writer(REBUILD_HEAP, 2)

        def add(batch: list[Prepared]) -> None:
            for p in batch:
                writer.add_document(_document(p))

        try:
            async for batch in batches:
                await asyncio.to_thread(add, batch)
            await asyncio.to_thread(writer.commit)
        except BaseException:
            await asyncio.to_thread(writer.wait_merging_threads)
            raise
        return name, writer

    async def _swap(self, aside: Any, late_deletes: Sequence[str], started: int) -> None:
        name, writer = aside

        def finish() -> None:
            for key in late_deletes:
                writer.delete_documents_by_term("key", key)
            writer.commit()
            writer.wait_merging_threads()
            self.generations.swap(name)
            self._live()

        async with self._serial:
            await asyncio.to_thread(finish)

    async def clear(self) -> None:
        def clear_now() -> None:
            index = self._live()
            with self._guard:
                if self._writer is None:
                    self._writer = index.writer(WRITER_HEAP, 1)
                self._writer.delete_all_documents()
                self._writer.commit()
            index.reload()

        async with self._serial:
            await asyncio.to_thread(clear_now)
        self._changed()

    async def _stamp(self) -> Hashable:
        return self.generations.current()

    def _hears(self) -> bool:
        self._live()
        return self._sound

    async def ping(self) -> None:
        self._live().searcher()

    async def close(self) -> None:
        async with self._serial:
            with self._guard:
                self._drop_writer()
                self._index = None
                self._name = ""

    def count(self) -> int:
        """How many documents are searchable (for tests and the benchmark)."""
        return int(self._live().searcher().num_docs)
