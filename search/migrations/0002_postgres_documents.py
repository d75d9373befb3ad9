"""The PostgreSQL search backend's tables (``MEIJI_SEARCH_URL=postgres``); nothing on SQLite.

A tsvector column is not a Tortoise field, so the table is plain SQL. ``grams`` holds our own
tokens (bigrams with positions) cast straight to tsvector: no text search parser or configuration
touches them, whatever the cluster's locale.
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

POSTGRES_UP = [
    """CREATE TABLE IF NOT EXISTS search_document (
    key TEXT PRIMARY KEY,
    type VARCHAR(20) NOT NULL,
    id VARCHAR(40) NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    procedure VARCHAR(100),
    clinic_id VARCHAR(40),
    created_at TIMESTAMPTZ NOT NULL,
    popularity DOUBLE PRECISION NOT NULL DEFAULT 0,
    grams TSVECTOR NOT NULL,
    words TSVECTOR NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS search_document_grams ON search_document USING GIN (grams)",
    "CREATE INDEX IF NOT EXISTS search_document_created ON search_document (created_at DESC)",
    # A synchronous delete leaves a tombstone: an indexer that loaded the document before the
    # delete (its sequence number is older) must not put it back.
    "CREATE SEQUENCE IF NOT EXISTS search_sequence",
    """CREATE TABLE IF NOT EXISTS search_tombstone (
    key TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    deleted_at TIMESTAMPTZ NOT NULL DEFAULT now()
)""",
    """CREATE TABLE IF NOT EXISTS search_vocabulary (
    id INT PRIMARY KEY,
    version BIGINT NOT NULL,
    terms JSONB NOT NULL
)""",
]
POSTGRES_DOWN = [
    "DROP TABLE IF EXISTS search_vocabulary",
    "DROP TABLE IF EXISTS search_tombstone",
    "DROP SEQUENCE IF EXISTS search_sequence",
    "DROP TABLE IF EXISTS search_document",
]


async def _run(editor: Any, statements: list[str]) -> None:
    # Migrations run on both databases; only PostgreSQL has tsvector (SQLite: nothing to do).
    if editor.client.capabilities.dialect != "postgres":
        return
    for sql in statements:
        if editor.collect_sql:
            editor.collected_sql.append(sql)
        else:
            await editor.client.execute_script(sql)


async def forward(apps: Any, editor: Any) -> None:
    await _run(editor, POSTGRES_UP)


async def backward(apps: Any, editor: Any) -> None:
    await _run(editor, POSTGRES_DOWN)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [ops.RunPython(forward, backward)]
