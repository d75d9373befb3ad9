"""Each document's characters, for one-character searches (PostgreSQL only; nothing on SQLite).

``chars`` holds each character of the text once (``'双' '眼' '皮'``). A one-character part of a
query (好 in 好但) was ``'好' | '好':*`` on ``grams``, which made GIN merge the posting lists of
every bigram that starts with 好; on ``chars`` it is one posting list. ``grams`` and ``chars`` share
one GIN index, so 好 beside 散热 is one index scan that skips through 好's long list using
散热's short one (two indexes were two bitmaps ANDed: 9 ms building 好's alone).

Rows indexed before this column existed keep it NULL and are not found by one-character parts
until they are written again: the process that runs the background jobs sees it at start
(``outdated()``) and rebuilds the table aside, as ``meiji search reindex`` does.
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

POSTGRES_UP = [
    "ALTER TABLE search_document ADD COLUMN IF NOT EXISTS chars TSVECTOR",
    "CREATE INDEX IF NOT EXISTS search_document_text ON search_document USING GIN (grams, chars)",
    "DROP INDEX IF EXISTS search_document_grams",
]
POSTGRES_DOWN = [
    "CREATE INDEX IF NOT EXISTS search_document_grams ON search_document USING GIN (grams)",
    "DROP INDEX IF EXISTS search_document_text",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS chars",
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
    dependencies = [("search", "0003_postgres_sound")]

    operations = [ops.RunPython(forward, backward)]
