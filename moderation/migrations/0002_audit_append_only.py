"""The audit log is append-only in the database itself: triggers refuse UPDATE and DELETE."""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION moderation_audit_refuse() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'moderation_audit_entry is append-only (% refused)', TG_OP;
END
$$ LANGUAGE plpgsql""",
    """CREATE TRIGGER moderation_audit_entry_append_only
BEFORE UPDATE OR DELETE ON moderation_audit_entry
FOR EACH ROW EXECUTE FUNCTION moderation_audit_refuse()""",
    # TRUNCATE skips row triggers; refuse it too.
    """CREATE TRIGGER moderation_audit_entry_no_truncate
BEFORE TRUNCATE ON moderation_audit_entry
FOR EACH STATEMENT EXECUTE FUNCTION moderation_audit_refuse()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS moderation_audit_entry_no_truncate ON moderation_audit_entry",
    "DROP TRIGGER IF EXISTS moderation_audit_entry_append_only ON moderation_audit_entry",
    "DROP FUNCTION IF EXISTS moderation_audit_refuse()",
]
SQLITE_UP = [
    """CREATE TRIGGER IF NOT EXISTS moderation_audit_entry_no_update
BEFORE UPDATE ON moderation_audit_entry
BEGIN SELECT RAISE(ABORT, 'moderation_audit_entry is append-only (UPDATE refused)'); END""",
    """CREATE TRIGGER IF NOT EXISTS moderation_audit_entry_no_delete
BEFORE DELETE ON moderation_audit_entry
BEGIN SELECT RAISE(ABORT, 'moderation_audit_entry is append-only (DELETE refused)'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS moderation_audit_entry_no_update",
    "DROP TRIGGER IF EXISTS moderation_audit_entry_no_delete",
]


async def _run(editor: Any, postgres: list[str], sqlite: list[str]) -> None:
    # Migrations run on both databases: each dialect gets its own trigger syntax.
    dialect = editor.client.capabilities.dialect
    statements = postgres if dialect == "postgres" else sqlite if dialect == "sqlite" else []
    for sql in statements:
        if editor.collect_sql:
            editor.collected_sql.append(sql)
        else:
            await editor.client.execute_script(sql)


async def forward(apps: Any, editor: Any) -> None:
    await _run(editor, POSTGRES_UP, SQLITE_UP)


async def backward(apps: Any, editor: Any) -> None:
    await _run(editor, POSTGRES_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0001_initial")]

    operations = [ops.RunPython(forward, backward)]
