"""Handles are unique by their look-alike key (``meiji.accounts.handles.lookalike_key``), not only
as written.

Every account and every handle hold gets its key. Where accounts already looked alike (``carol_adv``
and ``CAROL_ADV``), the oldest keeps the key and the later ones keep their handle with no key: they
still sign in, nobody can take a third look-alike, and a moderator finds them with
``SELECT id, handle FROM account WHERE handle_key IS NULL``.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from meiji.accounts.handles import lookalike_key as key


def _marks(schema_editor, count):
    if schema_editor.DIALECT == "sqlite":
        return ["?"] * count
    return [f"${n}" for n in range(1, count + 1)]


async def _fill(apps, schema_editor):
    client = schema_editor.client
    value, row = _marks(schema_editor, 2)
    _, accounts = await client.execute_query("SELECT id, handle FROM account ORDER BY id")
    taken = set()
    keys = []
    for account in accounts:
        handle_key = key(account["handle"])
        if handle_key not in taken:  # the oldest of accounts that look alike keeps the key
            taken.add(handle_key)
            keys.append([handle_key, account["id"]])
    if keys:
        await client.execute_many(f"UPDATE account SET handle_key = {value} WHERE id = {row}", keys)
    _, holds = await client.execute_query("SELECT id, handle FROM account_handle_hold")
    if holds:
        await client.execute_many(f"UPDATE account_handle_hold SET handle_key = {value} WHERE id = {row}",
                                  [[key(hold["handle"]), hold["id"]] for hold in holds])


class Migration(migrations.Migration):
    dependencies = [('meiji', '0006_rate_windows')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='handle_key',
            field=fields.CharField(null=True, unique=True, max_length=720),
        ),
        ops.AddField(
            model_name='HandleHold',
            name='handle_key',
            field=fields.CharField(null=True, db_index=True, max_length=720),
        ),
        # Adding a column to a table makes no index for db_index (tests/meiji/test_declared_indexes.py).
        ops.RunSQL("CREATE INDEX IF NOT EXISTS idx_account_handle_hold_handle_key "
                   "ON account_handle_hold (handle_key)",
                   reverse_sql="DROP INDEX IF EXISTS idx_account_handle_hold_handle_key"),
        ops.RunPython(_fill, reverse_code=ops.RunPython.noop),
    ]
