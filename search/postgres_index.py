"""The production backend: the app's PostgreSQL database, shared by every app process.

Documents live in ``search_document`` (created by migration ``search/0002``). ``grams`` and
``words`` are tsvectors written directly from our analyzer's tokens (``'双眼':1 '眼皮':2 ...``),
so no text search configuration or locale splits or stems them; queries are tsquery values built
from the same tokens (phrases with ``<->``), never parsed from user text. A GIN index serves
``@@``; ``ts_rank`` orders. tsvector positions stop at 16,383, so a phrase that starts past that
point of a very long document is not found.

``sound`` (migration ``search/0003``) holds what the text sounds like, pairs of tone-less readings,
with its own GIN index; a query part that may match by sound tests ``grams`` or ``sound``. Rows
written before that column existed have it NULL: ``outdated()`` until a rebuild.

The vocabulary is stored in ``search_vocabulary``; every process reloads it when its version
changes (checked at most every ``VOCABULARY_SECONDS``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Hashable, Sequence
from datetime import UTC
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from kernel.db import connection
from search.analyzer import LINE_CACHE, AllOf, AnyOf, Match, Plan, Sound, Sub
from search.engine import COUNTED_EXACTLY, EngineIndex, Found, Prepared, Row, key_text
from search.interfaces import DocKey, Document, Query, Suggestion, Term

TABLE = "search_document"
MAX_POSITION = 16383
VOCABULARY_SECONDS = 5.0
POPULARITY_SCALE = 20.0  # as tantivy: a score is multiplied by log2(2 + popularity / 20)
# A relevance query ranks at most this many matches (the first the GIN index yields), so its pages
# end there. ``total`` is exact up to this many matches and the planner's estimate above it
# (``total_is_estimate``), as on every backend.
CANDIDATES = COUNTED_EXACTLY
COLUMNS = "key, type, id, title, body, procedure, clinic_id, created_at, popularity, grams, words, sound, chars"


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector(tokens: str, positions: bool = True) -> str:
    """A tsvector literal of space-separated tokens, with their positions (1-based)."""
    where: dict[str, list[int]] = {}
    for i, token in enumerate(tokens.split(), start=1):
        where.setdefault(token, []).append(min(i, MAX_POSITION))
    if not positions:
        return " ".join(_lexeme(t) for t in where)
    return " ".join(f"{_lexeme(t)}:{','.join(map(str, dict.fromkeys(p)))}" for t, p in where.items())


def tsquery(match: Match) -> str:
    """Our query tree as a tsquery literal (of one column: no ``Sound`` beside a ``Sub``)."""
    if isinstance(match, Sound):
        pairs = match.grams
        return "(" + " <-> ".join(_lexeme(p) for p in pairs) + ")"
    if isinstance(match, Sub):
        grams = match.grams
        if len(match.text) == 1:
            token = _lexeme(match.text)
            return f"({token} | {token}:*)"
        if len(grams) == 1:
            return _lexeme(grams[0])
        return "(" + " <-> ".join(_lexeme(g) for g in grams) + ")"
    joiner = " & " if isinstance(match, AllOf) else " | "
    return "(" + joiner.join(tsquery(part) for part in match.parts) + ")"


def _one_character(match: Match) -> bool:
    return isinstance(match, Sub) and len(match.text) == 1


def _mixed(match: Match) -> bool:
    """Whether a query tree needs a column other than ``grams``."""
    if isinstance(match, AllOf | AnyOf):
        return any(_mixed(part) for part in match.parts)
    return isinstance(match, Sound) or _one_character(match)


def condition_of(match: Match, table: str = "") -> str:
    """The SQL condition of a query tree: one tsquery on ``grams`` where every part is a run of two
    or more characters, otherwise each part on its own column: ``sound`` for what it sounds like,
    ``chars`` for one character (``'好':*`` on ``grams`` made GIN merge the posting lists of every
    bigram starting with 好: 10-35 ms, the slowest searches at 170,000 documents, against 2-4 ms on
    ``chars``); ``table``: ``c0.``."""
    if _one_character(match):
        assert isinstance(match, Sub)
        return f"{table}chars @@ {sql_text(_lexeme(match.text))}::tsquery"
    if not _mixed(match):
        return f"{table}grams @@ {sql_text(tsquery(match))}::tsquery"
    if isinstance(match, Sound):
        return f"{table}sound @@ {sql_text(tsquery(match))}::tsquery"
    assert isinstance(match, AllOf | AnyOf)
    joiner = " AND " if isinstance(match, AllOf) else " OR "
    return "(" + joiner.join(condition_of(part, table) for part in match.parts) + ")"


def sql_text(text: str) -> str:
    """A SQL string constant of ``text`` (without NUL, which PostgreSQL text cannot hold).

    An E'' string reads backslashes the same whatever ``standard_conforming_strings`` says.
    """
    return "E'" + text.replace("\x00", "").replace("\\", "\\\\").replace("'", "''") + "'"


def candidates(query: Query) -> int:
    """How many matches a relevance query ranks: the same set for every page (so pages neither
    repeat nor skip a hit, and end after ``CANDIDATES``), more only for one larger first page."""
    return CANDIDATES if query.offset else max(CANDIDATES, query.limit)


def rank_of(plan: Plan) -> tuple[str, str]:
    """How a relevance query ranks its candidates, and the column that needs: ``grams`` for what
    contains the query, ``sound`` for what only sounds like it (read only in that second search)."""
    if plan.exclude is None:
        return f"ts_rank(c.grams, {sql_text(tsquery(plan.match))}::tsquery)", "grams"
    heard = AnyOf(tuple(Sound(said) for said in plan.sounds)) if len(plan.sounds) > 1 else Sound(plan.sounds[0])
    rank = f"ts_rank(c.sound, {sql_text(tsquery(heard))}::tsquery)"
    written = _subs(plan.match)  # names read like the query (吸脂 for xizhi): their text ranks too
    if written:
        rank += f" + ts_rank(c.grams, {sql_text(tsquery(AnyOf(tuple(written))))}::tsquery)"
    return rank, "sound"


def _subs(match: Match) -> list[Match]:
    if isinstance(match, Sub):
        return [match]
    if isinstance(match, Sound):
        return []
    return list(dict.fromkeys(s for part in match.parts for s in _subs(part)))


def ranked_sql(plan: Plan, condition: str, values: list[Any], query: Query, *, unless: str = "TRUE") -> str:
    """One page by relevance, ranking at most ``candidates(query)`` matches.

    ts_rank reads each ranked document's tsvector (~40 µs each): over the ~90,000 matches of a
    one-character query at 170,000 documents that was most of a query's time. The candidates are
    the first matches in the table's order (no ORDER BY: any order by a column made the planner
    walk that column's index and test tens of thousands of rows for a phrase matching 2% of
    them); only they are ranked and counted (``n``), and only the page's rows are joined back for
    their text. Integers are inlined like the tsquery, so a reused statement keeps its plan.
    Popularity's logarithm is taken in float8: ``log(2.0, x::numeric)`` cost 12 µs a row, ten
    times the ``ts_rank`` beside it, and was most of a page query's time at 170,000 documents.
    """
    rank, column = rank_of(plan)
    columns = "grams, sound" if column == "sound" else column  # the second search reads both
    columns += ", chars"  # for ``unless``
    if plan.boosts:
        rank += f" + 0.5 * ts_rank(c.words, {sql_text(' | '.join(_lexeme(w) for w in plan.boosts))}::tsquery)"
    # Documents ``unless`` drops are taken on top of the candidates (at most ``plan.excluded`` of them).
    cap, limit, offset = candidates(query) + int(plan.excluded), int(query.limit), int(query.offset)
    return (f"SELECT d.type, d.id, d.title, d.body, d.created_at, d.procedure, r.score, r.n FROM ("  # noqa: S608 - names are constants, values are parameters or our own literals
            f"SELECT c.key, c.created_at, c.n, (({rank}) * ln(2.0 + c.popularity / {POPULARITY_SCALE}) / ln(2.0))"
            f"::float8 AS score FROM (SELECT key, created_at, popularity, {columns}, words, "
            f"count(*) OVER () AS n FROM (SELECT key, created_at, popularity, {columns}, words FROM {TABLE} "
            f"WHERE {condition} LIMIT {int(cap)}) AS c0 WHERE {unless}) AS c "
            f"ORDER BY score DESC, c.created_at DESC, c.key LIMIT {limit} OFFSET {offset}) AS r "
            f"JOIN {TABLE} AS d ON d.key = r.key ORDER BY r.score DESC, r.created_at DESC, r.key")


def counted_sql(plan: Plan, condition: str, query: Query, *, unless: str = "TRUE") -> str:
    """How many candidates ``ranked_sql`` would rank (its ``n``), without ranking them: what a page
    that the exact matches already fill asks of the search by sound (``limit`` 0)."""
    cap = candidates(query) + int(plan.excluded)
    return (f"SELECT count(*) AS n FROM (SELECT grams, sound, chars FROM {TABLE} WHERE {condition} "  # noqa: S608 - names are constants, values are parameters or our own literals
            f"LIMIT {int(cap)}) AS c0 WHERE {unless}")


def _row_values(p: Prepared) -> list[Any]:
    d = p.doc
    created = d.created_at if d.created_at.tzinfo else d.created_at.replace(tzinfo=UTC)
    return [p.key, d.type, d.id, d.title, d.text, d.procedure, d.clinic_id, created, float(d.popularity),
            tsvector(p.grams), tsvector(p.words, positions=False), tsvector(p.sound),
            tsvector(p.chars, positions=False)]


def upsert_sql(table: str, guarded: bool = False) -> str:
    """Insert or replace one document; ``guarded``: not when a tombstone newer than ``$14`` names it."""
    guard = (" WHERE $14::bigint IS NULL OR NOT EXISTS (SELECT 1 FROM search_tombstone t WHERE t.key = $1 "
             "AND t.seq > $14::bigint)") if guarded else ""
    return (f"INSERT INTO {table} ({COLUMNS}) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10::tsvector, "
            f"$11::tsvector, $12::tsvector, $13::tsvector{guard} ON CONFLICT (key) DO UPDATE SET type = EXCLUDED.type, "
            "id = EXCLUDED.id, "
            "title = EXCLUDED.title, body = EXCLUDED.body, procedure = EXCLUDED.procedure, "
            "clinic_id = EXCLUDED.clinic_id, created_at = EXCLUDED.created_at, "
            "popularity = EXCLUDED.popularity, grams = EXCLUDED.grams, words = EXCLUDED.words, "
            "sound = EXCLUDED.sound, chars = EXCLUDED.chars")


class PostgresIndex(EngineIndex):
    """``SearchIndex`` in the app's PostgreSQL database (``MEIJI_SEARCH_URL=postgres``)."""

    # The search by sound (after the exact one, ``EngineIndex.search``) runs not at all when the exact
    # matches are an estimate (they fill every page), and with their count, so as many more
    # candidates are taken (``unless``).

    def __init__(self, *, sound: bool = True, results: int = 0, lines: int = LINE_CACHE) -> None:
        super().__init__(sound=sound, results=results, lines=lines)
        self._version = -1
        self._checked = 0.0
        self._deletes = 0

    @staticmethod
    def _db() -> BaseDBAsyncClient:
        return connection()

    # --- kept pages of hits, shared by every process ------------------------------------------

    # Every change moves ``search_sequence`` once it has committed, whichever process made it, and
    # a kept page (``EngineIndex.search``) is keyed by the sequence's value when its search began:
    # one statement tells every process whether its kept pages still hold. A process that died
    # between a change's commit and the move leaves pages a change behind: they live this long at most.
    KEPT_SECONDS = 60.0

    async def _stamp(self) -> Hashable:
        await self._follow_vocabulary()
        rows = await self._db().execute_query_dict("SELECT last_value FROM search_sequence")
        return self._version, int(rows[0]["last_value"])

    async def _moved(self) -> None:
        """After a change committed: no kept page, here or in any process, holds any more."""
        await self._db().execute_query("SELECT nextval('search_sequence')")
        self._changed()

    # --- vocabulary shared by every process -----------------------------------------------------

    async def set_vocabulary(self, terms: Sequence[Term]) -> None:
        payload = json.dumps([{"text": t.text, "kind": t.kind, "aliases": list(t.aliases)} for t in terms],
                             ensure_ascii=False)
        rows = await self._db().execute_query_dict(
            "INSERT INTO search_vocabulary (id, version, terms) VALUES (1, 1, $1::jsonb) ON CONFLICT (id) "
            "DO UPDATE SET version = search_vocabulary.version + 1, terms = EXCLUDED.terms RETURNING version",
            [payload])
        await super().set_vocabulary(terms)
        self._version = int(rows[0]["version"])
        self._checked = time.monotonic()

    async def _follow_vocabulary(self) -> None:
        if time.monotonic() - self._checked < VOCABULARY_SECONDS:
            return
        self._checked = time.monotonic()
        rows = await self._db().execute_query_dict("SELECT version, terms::text AS terms FROM search_vocabulary "
                                                   "WHERE id = 1")
        if rows and int(rows[0]["version"]) != self._version:
            terms = [Term(t["text"], t["kind"], tuple(t["aliases"])) for t in json.loads(rows[0]["terms"])]
            await super().set_vocabulary(terms)
            self._version = int(rows[0]["version"])

    async def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        await self._follow_vocabulary()
        return await super().suggest(prefix, limit)

    # --- writing ------------------------------------------------------------------------------

    async def _write(self, upserts: Sequence[Prepared], deletes: Sequence[str],
                     loaded_at: int | None = None, bury: bool = False) -> None:
        keys = sorted({*deletes, *(p.key for p in upserts)})
        async with in_transaction(self._db().connection_name) as conn:
            # Writers of the same key take turns (in key order, so two never wait on each other),
            # so the tombstone check below sees every delete that committed before it.
            await conn.execute_query("SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest($1::text[]) AS k "
                                     "ORDER BY k", [keys])
            if deletes:
                await conn.execute_query(f"DELETE FROM {TABLE} WHERE key = ANY($1::text[])",  # noqa: S608 - names are constants, values are parameters
                                         [list(deletes)])
            if bury:
                await conn.execute_query(
                    "INSERT INTO search_tombstone (key, seq) SELECT k, nextval('search_sequence') "
                    "FROM unnest($1::text[]) AS k ON CONFLICT (key) DO UPDATE SET seq = EXCLUDED.seq, "
                    "deleted_at = now()", [list(deletes)])
            if upserts:
                await conn.execute_many(upsert_sql(TABLE, guarded=True),
                                        [[*_row_values(p), loaded_at] for p in upserts])
        await self._moved()

    async def mark(self) -> int:
        rows = await self._db().execute_query_dict("SELECT nextval('search_sequence') AS n")
        return int(rows[0]["n"])

    async def delete(self, keys: Sequence[DocKey]) -> None:
        if keys:
            await self._write((), [key_text(k) for k in keys], bury=True)
            self._deletes += 1
            if self._deletes % 100 == 1:
                await self._db().execute_query("DELETE FROM search_tombstone WHERE deleted_at < now() - "
                                               "interval '1 hour'")

    async def apply(self, docs: Sequence[Document], deletes: Sequence[DocKey], *,
                    loaded_at: int | None = None) -> None:
        if docs or deletes:
            await self._write(await self._prepare(docs), [key_text(k) for k in deletes], loaded_at)

    async def _build_aside(self, batches: AsyncIterator[list[Prepared]]) -> Any:
        db = self._db()
        aside = f"{TABLE}_next"
        await db.execute_script(f"DROP TABLE IF EXISTS {aside}; CREATE TABLE {aside} "
                                f"(LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS); "
                                f"ALTER TABLE {aside} ADD CONSTRAINT {aside}_pkey PRIMARY KEY (key)")

        def rows(batch: list[Prepared]) -> list[list[Any]]:
            return [_row_values(p) for p in batch]

        async for batch in batches:
            await db.execute_many(upsert_sql(aside), await asyncio.to_thread(rows, batch))
        await db.execute_script(f"CREATE INDEX {aside}_text ON {aside} USING GIN (grams, chars); "
                                f"CREATE INDEX {aside}_sound ON {aside} USING GIN (sound); "
                                f"CREATE INDEX {aside}_created ON {aside} (created_at DESC)")
        # ANALYZE: the planner's row estimates are the totals shown above CANDIDATES matches, and a
        # new table has none. VACUUM: autovacuum would otherwise visit the freshly written table
        # (and the first searches set every row's hint bits) while it serves; here it is not live yet.
        await db.execute_script(f"VACUUM (ANALYZE) {aside}")
        return aside

    async def _swap(self, aside: Any, late_deletes: Sequence[str], started: int) -> None:
        # One short transaction: searches read the old table until it commits; a delete that comes
        # meanwhile waits for the lock and then applies to the new table.
        async with in_transaction(self._db().connection_name) as conn:
            await conn.execute_script(
                f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE; "  # noqa: S608 - constants and an int
                f"DELETE FROM {aside} WHERE key IN (SELECT key FROM search_tombstone WHERE seq > {int(started)}); "
                f"DROP TABLE {TABLE}; ALTER TABLE {aside} RENAME TO {TABLE}; "
                f"ALTER TABLE {TABLE} RENAME CONSTRAINT {aside}_pkey TO {TABLE}_pkey; "
                f"ALTER INDEX {aside}_text RENAME TO {TABLE}_text; "
                f"ALTER INDEX {aside}_sound RENAME TO {TABLE}_sound; "
                f"ALTER INDEX {aside}_created RENAME TO {TABLE}_created")
        await self._moved()

    async def clear(self) -> None:
        await self._db().execute_script(f"TRUNCATE {TABLE}")
        await self._moved()

    # --- searching ------------------------------------------------------------------------------

    async def _find(self, plan: Plan, query: Query) -> Found:
        await self._follow_vocabulary()
        # The tsquery is a literal in the SQL, not a parameter: a prepared statement reused with a
        # parameter gets a generic plan, which walks the created_at index for a rare phrase too
        # (hundreds of milliseconds); with the literal the planner sees how common its lexemes are.
        condition = condition_of(plan.match)
        unless = "TRUE"
        if plan.exclude is not None:
            # By relevance, what the first search found is dropped from the candidates, not in their
            # scan: a filter there made the planner read every row that sounds like 不错 (all of them
            # say it) or the whole table. Taking ``plan.excluded`` more candidates keeps their number.
            unless = f"NOT {condition_of(plan.exclude, 'c0.')}"
        values: list[Any] = []
        if query.types:
            values.append(list(query.types))
            condition += f" AND type = ANY(${len(values)}::text[])"
        if query.procedure is not None:
            values.append(query.procedure)
            condition += f" AND procedure = ${len(values)}"
        if query.clinic_id is not None:
            values.append(query.clinic_id)
            condition += f" AND clinic_id = ${len(values)}"
        filters = values[:]
        whole = condition if plan.exclude is None else f"{condition} AND NOT {condition_of(plan.exclude)}"
        if query.sort == "recent":
            values.extend([query.limit, query.offset])
            sql = (f"SELECT type, id, title, body, created_at, procedure, 0.0::float8 AS score, NULL::bigint AS n "  # noqa: S608 - names are constants, values are parameters
                   f"FROM {TABLE} WHERE {whole} ORDER BY created_at DESC, key "
                   f"LIMIT ${len(values) - 1} OFFSET ${len(values)}")
        elif not query.limit:
            sql = counted_sql(plan, condition, query, unless=unless)
        else:
            sql = ranked_sql(plan, condition, values, query, unless=unless)
        rows = await self._db().execute_query_dict(sql, values)
        total, estimated = await self._total(whole, filters, query, rows)
        return Found([Row(r["type"], r["id"], r["title"], r["body"], r["created_at"], r["procedure"],
                          float(r["score"])) for r in rows if query.limit], total, estimated)

    async def _total(self, condition: str, filters: list[Any], query: Query,
                     rows: list[dict[str, Any]]) -> tuple[int, bool]:
        """Exact up to ``CANDIDATES`` matches; above, the planner's estimate (at least what was counted)."""
        if rows and rows[0]["n"] is not None:
            counted = int(rows[0]["n"])  # the candidates, counted as they were ranked
            if counted < candidates(query):
                return counted, False  # every match was a candidate
        elif len(rows) < query.limit and (rows or not query.offset):
            return query.offset + len(rows), False  # the last page: the count is known
        else:
            sql = (f"SELECT count(*) AS n FROM (SELECT 1 FROM {TABLE} WHERE {condition} "  # noqa: S608 - names are constants, values are parameters
                   f"LIMIT ${len(filters) + 1}) AS m")
            counted = int((await self._db().execute_query_dict(sql, [*filters, CANDIDATES + 1]))[0]["n"])
            if counted <= CANDIDATES:
                return counted, False
        plan = await self._db().execute_query_dict(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {TABLE} "  # noqa: S608 - names are constants, values are parameters
                                                   f"WHERE {condition}", filters)
        estimate = int(json.loads(plan[0]["QUERY PLAN"])[0]["Plan"]["Plan Rows"]) if plan else 0
        return max(estimate, counted), True

    async def outdated(self) -> bool:
        # NULL: written before the sound or chars column existed (a rebuild writes every row again).
        rows = await self._db().execute_query_dict(f"SELECT EXISTS (SELECT 1 FROM {TABLE} "  # noqa: S608 - names are constants
                                                   "WHERE sound IS NULL OR chars IS NULL) AS old")
        return bool(rows[0]["old"])

    async def ping(self) -> None:
        await self._db().execute_query(f"SELECT 1 FROM {TABLE} LIMIT 1")  # noqa: S608 - names are constants, values are parameters

    async def close(self) -> None:
        return None
