"""The production backend: the app's PostgreSQL database, shared by every app process.

Documents live in ``search_document`` (created by migration ``search/0002``). ``grams`` and
``words`` are tsvectors written directly from our analyzer's tokens (``'双眼':1 '眼皮':2 ...``),
so no text search configuration or locale splits or stems them; queries are tsquery values built
from the same tokens (phrases with ``<->``), never parsed from user text. A GIN index serves
``@@``; ``ts_rank`` orders. tsvector positions stop at 16,383, so a phrase that starts past that
point of a very long document is not found.

The vocabulary is stored in ``search_vocabulary``; every process reloads it when its version
changes (checked at most every ``VOCABULARY_SECONDS``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from kernel.db import connection
from search.analyzer import AllOf, Match, Plan, Sub
from search.engine import EngineIndex, Found, Prepared, Row, key_text
from search.interfaces import DocKey, Document, Query, Suggestion, Term

TABLE = "search_document"
MAX_POSITION = 16383
VOCABULARY_SECONDS = 5.0
POPULARITY_SCALE = 20.0  # as tantivy: a score is multiplied by log2(2 + popularity / 20)
COLUMNS = "key, type, id, title, body, procedure, clinic_id, created_at, popularity, grams, words"


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
    """Our query tree as a tsquery literal."""
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


def _row_values(p: Prepared) -> list[Any]:
    d = p.doc
    created = d.created_at if d.created_at.tzinfo else d.created_at.replace(tzinfo=UTC)
    return [p.key, d.type, d.id, d.title, d.text, d.procedure, d.clinic_id, created, float(d.popularity),
            tsvector(p.grams), tsvector(p.words, positions=False)]


def upsert_sql(table: str, guarded: bool = False) -> str:
    """Insert or replace one document; ``guarded``: not when a tombstone newer than ``$12`` names it."""
    guard = (" WHERE $12::bigint IS NULL OR NOT EXISTS (SELECT 1 FROM search_tombstone t WHERE t.key = $1 "
             "AND t.seq > $12::bigint)") if guarded else ""
    return (f"INSERT INTO {table} ({COLUMNS}) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10::tsvector, "
            f"$11::tsvector{guard} ON CONFLICT (key) DO UPDATE SET type = EXCLUDED.type, id = EXCLUDED.id, "
            "title = EXCLUDED.title, body = EXCLUDED.body, procedure = EXCLUDED.procedure, "
            "clinic_id = EXCLUDED.clinic_id, created_at = EXCLUDED.created_at, "
            "popularity = EXCLUDED.popularity, grams = EXCLUDED.grams, words = EXCLUDED.words")


class PostgresIndex(EngineIndex):
    """``SearchIndex`` in the app's PostgreSQL database (``MEIJI_SEARCH_URL=postgres``)."""

    def __init__(self) -> None:
        super().__init__()
        self._version = -1
        self._checked = 0.0
        self._deletes = 0

    @staticmethod
    def _db() -> BaseDBAsyncClient:
        return connection()

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
        await db.execute_script(f"CREATE INDEX {aside}_grams ON {aside} USING GIN (grams); "
                                f"CREATE INDEX {aside}_created ON {aside} (created_at DESC)")
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
                f"ALTER INDEX {aside}_grams RENAME TO {TABLE}_grams; "
                f"ALTER INDEX {aside}_created RENAME TO {TABLE}_created")

    async def clear(self) -> None:
        await self._db().execute_script(f"TRUNCATE {TABLE}")

    # --- searching ------------------------------------------------------------------------------

    async def _find(self, plan: Plan, query: Query) -> Found:
        await self._follow_vocabulary()
        values: list[Any] = [tsquery(plan.match)]
        where = ["grams @@ $1::tsquery"]
        if query.types:
            values.append(list(query.types))
            where.append(f"type = ANY(${len(values)}::text[])")
        if query.procedure is not None:
            values.append(query.procedure)
            where.append(f"procedure = ${len(values)}")
        if query.clinic_id is not None:
            values.append(query.clinic_id)
            where.append(f"clinic_id = ${len(values)}")
        condition = " AND ".join(where)
        filters = values[:]
        rank = "ts_rank(grams, $1::tsquery)"
        if plan.boosts and query.sort != "recent":
            values.append(" | ".join(_lexeme(w) for w in plan.boosts))
            rank += f" + 0.5 * ts_rank(words, ${len(values)}::tsquery)"
        if query.sort == "recent":
            order = "created_at DESC, key"
            score = "0.0"
        else:
            score = f"({rank}) * log(2.0, (2.0 + popularity / {POPULARITY_SCALE})::numeric)"
            order = "score DESC, created_at DESC, key"
        values.extend([query.limit, query.offset])
        rows = await self._db().execute_query_dict(
            f"SELECT type, id, title, body, created_at, procedure, {score}::float8 AS score, "  # noqa: S608 - names are constants, values are parameters
            f"count(*) OVER () AS total FROM {TABLE} WHERE {condition} ORDER BY {order} "
            f"LIMIT ${len(values) - 1} OFFSET ${len(values)}", values)
        if rows:
            total = int(rows[0]["total"])
        else:
            sql = f"SELECT count(*) AS n FROM {TABLE} WHERE {condition}"  # noqa: S608 - names are constants, values are parameters
            counted = await self._db().execute_query_dict(sql, filters)
            total = int(counted[0]["n"])
        return Found([Row(r["type"], r["id"], r["title"], r["body"], r["created_at"], r["procedure"],
                          float(r["score"])) for r in rows], total)

    async def ping(self) -> None:
        await self._db().execute_query(f"SELECT 1 FROM {TABLE} LIMIT 1")  # noqa: S608 - names are constants, values are parameters

    async def close(self) -> None:
        return None
