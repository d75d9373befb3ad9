"""What documents sound like, for search by pinyin and homophones (PostgreSQL only; nothing on SQLite).

``sound`` holds pairs of tone-less readings (``'shuang_yan':1 'yan_pi':2``), written from our own
tokens like ``grams``. Rows indexed before this column existed keep it NULL, so they are found by
their text only until ``meiji search reindex`` writes every row again (the app logs a warning at
start while any row is NULL).
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

POSTGRES_UP = [
    "ALTER TABLE search_document ADD COLUMN IF NOT EXISTS sound TSVECTOR",
    "CREATE INDEX IF NOT EXISTS search_document_sound ON search_document USING GIN (sound)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS search_document_sound",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS sound",
]


async def _run(editor: Any, statements: list[str]) -> None:
    # Migrations run on both databases; only PostgreSQL has the search tables (SQLite: nothing to do).
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
    dependencies = [("search", "0002_postgres_documents")]

    operations = [ops.RunPython(forward, backward)]
