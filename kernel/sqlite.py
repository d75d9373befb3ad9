"""Tortoise's SQLite client, with transactions that take the write lock when they begin.

Tortoise begins a transaction with a plain ``BEGIN`` (deferred): it reads first and asks for the
write lock at its first write. When another process (a CLI command beside the server) committed
in between, SQLite cannot upgrade the stale read snapshot and fails at once with "database is
locked", without waiting for ``busy_timeout``. ``BEGIN IMMEDIATE`` takes the write lock at the
start, where SQLite does wait, so concurrent processes queue instead of failing. Each process has
one connection and serialises its own transactions already, so this costs nothing within one.

Reads outside a transaction run on a second connection, on the event loop's own thread. Each
statement through aiosqlite is a hand-over to its thread and back (a queue, a wake-up, a pipe
write): about 65 µs, four times what an indexed point read costs SQLite itself, and it waits
behind any transaction of this process holding the connection. Under WAL a reader neither blocks
nor is blocked by the writer, and sees every transaction committed before it began, so a request
still reads what it wrote. A read that finds the database busy (a checkpoint, a recovery) takes
the old path instead of waiting on the loop's thread.

Named as the engine in ``kernel.db.tortoise_config`` (Tortoise imports ``client_class`` from it).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionContext, SqliteTransactionWrapper
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError


class ImmediateTransaction(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            # The connection runs in autocommit: only a transaction left open by a failure needs
            # ending, and asking costs no trip to aiosqlite's thread (committing would).
            if self._connection.in_transaction:
                await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


def _is_read(query: str) -> bool:
    return query.lstrip()[:6].upper() == "SELECT"


class ImmediateSqliteClient(SqliteClient):
    _reader: sqlite3.Connection | None = None

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransaction(self), self._lock)

    def _read(self, query: str, values: list[Any] | None) -> list[sqlite3.Row] | None:
        """The rows of a read on the reader connection; None when it must take aiosqlite's path."""
        if self.filename == ":memory:" or self._connection is None:
            return None  # a second connection would open another database
        if self._reader is None:
            # No busy wait: on the loop's thread a wait would stall every request.
            reader = sqlite3.connect(self.filename, timeout=0, isolation_level=None, check_same_thread=False)
            reader.row_factory = sqlite3.Row
            reader.execute("PRAGMA query_only=ON")
            self._reader = reader
        self.log.debug("%s: %s", query, values)
        try:
            return self._reader.execute(query.replace("\x00", "'||CHAR(0)||'"), values or ()).fetchall()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return None
            raise OperationalError(exc) from exc
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(exc) from exc

    async def execute_query(self, query: str, values: list[Any] | None = None) -> tuple[int, Sequence[dict[str, Any]]]:
        rows = self._read(query, values) if _is_read(query) else None
        if rows is None:
            answer: tuple[int, Sequence[dict[str, Any]]] = await super().execute_query(query, values)
            return answer
        return len(rows), rows  # type: ignore[return-value]  # sqlite3.Row reads like the dict Tortoise names

    async def execute_query_dict(self, query: str, values: list[Any] | None = None) -> list[dict[str, Any]]:
        rows = self._read(query, values) if _is_read(query) else None
        if rows is None:
            dicts: list[dict[str, Any]] = await super().execute_query_dict(query, values)
            return dicts
        return [dict(row) for row in rows]

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        await super().close()


client_class = ImmediateSqliteClient
