"""Every index the models declare exists in a migrated database, on SQLite and on PostgreSQL.

A column added to an existing table with ``db_index=True`` got no index from Tortoise's migration
(``Answer.doctor_id``, ``Suspension.until``...), and a list read by a column without one reads the
whole table: the models say what the lists need, and this holds the databases to it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg
import pytest
from tortoise import Tortoise
from tortoise.indexes import Index

from kernel import db
from tests.conftest import base_settings
from tests.servers import Postgres

Columns = tuple[str, ...]
# Indexes the migrations write as SQL, which the models cannot declare (a descending column).
BY_HAND: dict[str, set[Columns]] = {"content_answer": {("question_id", "status", "score", "id")}}


def declared(tmp_path: Path) -> dict[str, set[Columns]]:
    """table -> the column lists the models ask an index for (``db_index`` fields, ``Meta.indexes``,
    ``unique_together``); a primary key needs none."""

    async def read() -> dict[str, set[Columns]]:
        await Tortoise.init(config=db.tortoise_config(base_settings(tmp_path)))
        try:
            wanted: dict[str, set[Columns]] = {table: set(lists) for table, lists in BY_HAND.items()}
            for models in Tortoise.apps.values():
                for model in models.values():
                    meta = model._meta
                    names = meta.fields_db_projection
                    found = wanted.setdefault(meta.db_table, set())
                    for name, field in meta.fields_map.items():
                        if (field.index or field.unique) and not field.pk and name in names:
                            found.add((names[name],))
                    for index in [*meta.indexes, *meta.unique_together]:
                        fields = index.fields if isinstance(index, Index) else index
                        found.add(tuple(names.get(f, names.get(f"{f}_id", f)) for f in fields))
            return wanted
        finally:
            await Tortoise.close_connections()

    return asyncio.run(read())


def missing(wanted: dict[str, set[Columns]], present: dict[str, list[Columns]]) -> list[str]:
    """What no index of the table serves: an index serves the column lists it begins with."""
    gaps = []
    for table, lists in sorted(wanted.items()):
        for columns in sorted(lists):
            if not any(index[: len(columns)] == columns for index in present.get(table, [])):
                gaps.append(f"{table}{columns}")
    return gaps


def sqlite_indexes(path: Path) -> dict[str, list[Columns]]:
    with sqlite3.connect(path) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: [tuple(col[2] for col in conn.execute(f"PRAGMA index_info('{index[1]}')"))
                        for index in conn.execute(f"PRAGMA index_list('{table}')")]
                for table in tables}


async def postgres_indexes(url: str) -> dict[str, list[Columns]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT t.relname AS table_name, array_agg(a.attname ORDER BY k.n) AS columns "
            "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_namespace s ON s.oid = t.relnamespace AND s.nspname = 'public' "
            "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
            "GROUP BY i.indexrelid, t.relname")
    finally:
        await conn.close()
    present: dict[str, list[Columns]] = {}
    for row in rows:
        present.setdefault(row["table_name"], []).append(tuple(row["columns"]))
    return present


def test_every_declared_index_exists_on_sqlite(sqlite_template: Path, tmp_path: Path) -> None:
    wanted = declared(tmp_path)
    assert ("target_type", "target_id", "status", "thread_id", "id") in wanted["content_comment"]  # comments' page
    assert missing(wanted, sqlite_indexes(sqlite_template)) == []


@pytest.mark.postgres
def test_every_declared_index_exists_on_postgresql(pg: Postgres, pg_template: str, tmp_path: Path) -> None:
    assert missing(declared(tmp_path), asyncio.run(postgres_indexes(pg.url(pg_template)))) == []
