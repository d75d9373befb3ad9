"""Tortoise's SQLite client, with transactions that take the write lock when they begin.

Tortoise begins a transaction with a plain ``BEGIN`` (deferred): it reads first and asks for the
write lock at its first write. When another process (a CLI command beside the server) committed
in between, SQLite cannot upgrade the stale read snapshot and fails at once with "database is
locked", without waiting for ``busy_timeout``. ``BEGIN IMMEDIATE`` takes the write lock at the
start, where SQLite does wait, so concurrent processes queue instead of failing. Each process has
one connection and serialises its own transactions already, so this costs nothing within one.

Named as the engine in ``kernel.db.tortoise_config`` (Tortoise imports ``client_class`` from it).
"""

from __future__ import annotations

import sqlite3

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionContext, SqliteTransactionWrapper
from tortoise.exceptions import TransactionManagementError


class ImmediateTransaction(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ImmediateSqliteClient(SqliteClient):
    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransaction(self), self._lock)


client_class = ImmediateSqliteClient
