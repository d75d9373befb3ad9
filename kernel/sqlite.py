"""Tortoise's SQLite client, run on the event loop's own thread, with transactions that take the
write lock when they begin.

**No hand-over to a thread.** Tortoise talks to SQLite through aiosqlite, which runs every statement
in a thread of its own: a queue, a wake-up, the GIL handed over and back, a pipe to wake the loop.
Measured here (``bench/profiles.py``) that costs about 200 µs a statement, where SQLite answers a
point read or a small write in tens of microseconds; an entry written in five statements spent
two thirds of its time handing them over. ``Inline`` answers the same calls on the loop's thread.
What SQLite may do slowly is wait for another process's write lock (a CLI command beside the
server): that wait sleeps on the loop (``asyncio.sleep``) instead of blocking it, up to the
configured ``busy_timeout``. A statement that scans a large table does hold the loop while it
runs; the service's statements are indexed.

**Reads outside a transaction** go to a second connection, which neither waits for a transaction
of this process holding the first one nor sees its uncommitted rows: under WAL a reader sees every
transaction committed before it began, so a request still reads what it wrote.

**Transactions begin IMMEDIATE.** Tortoise begins with a plain ``BEGIN`` (deferred): it reads first
and asks for the write lock at its first write. When another process committed in between, SQLite
cannot upgrade the stale read snapshot and fails at once with "database is locked". ``BEGIN
IMMEDIATE`` takes the write lock at the start, where waiting works, so concurrent processes queue
instead of failing. Each process has one writing connection and serialises its own transactions
already, so this costs nothing within one.

Named as the engine in ``kernel.db.tortoise_config`` (Tortoise imports ``client_class`` from it).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
    translate_exceptions,
)
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError

T = TypeVar("T")
FIRST_PAUSE = 0.001
LONGEST_PAUSE = 0.05


def _busy(exc: sqlite3.Error) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED, extended codes included (the lower byte is the primary code)."""
    return (exc.sqlite_errorcode & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class Cursor:
    """What Tortoise does with a cursor aiosqlite returns: close it (and, rarely, read it)."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class Inline:
    """The calls Tortoise makes on an aiosqlite connection, answered on the loop's thread."""

    def __init__(self, path: str, busy_seconds: float) -> None:
        # timeout=0: SQLite never sleeps on this thread; ``_run`` waits for the lock on the loop.
        self._conn = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self.busy_seconds = busy_seconds

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    @property
    def total_changes(self) -> int:
        return self._conn.total_changes

    async def _run(self, call: Callable[..., T], *args: Any) -> T:
        """``call(*args)``; while another process holds the write lock, retried after growing pauses.
        Only outside a transaction (or its BEGIN): a statement in one holds the lock already."""
        pause, waited = FIRST_PAUSE, 0.0
        while True:
            try:
                return call(*args)
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or self._conn.in_transaction or waited >= self.busy_seconds:
                    raise
            await asyncio.sleep(pause)
            waited += pause
            pause = min(pause * 2, LONGEST_PAUSE)

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Cursor:
        return Cursor(await self._run(self._conn.execute, sql, parameters or ()))

    async def execute_fetchall(self, sql: str, parameters: Sequence[Any] | None = None) -> list[Any]:
        return await self._run(lambda: self._conn.execute(sql, parameters or ()).fetchall())

    async def execute_insert(self, sql: str, parameters: Sequence[Any] | None = None) -> tuple[int | None]:
        cursor = await self._run(self._conn.execute, sql, parameters or ())
        return (cursor.lastrowid,)

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> Cursor:
        rows = list(parameters)
        return Cursor(await self._run(self._conn.executemany, sql, rows))

    async def executescript(self, script: str) -> Cursor:
        return Cursor(await self._run(self._conn.executescript, script))

    async def commit(self) -> None:
        await self._run(self._conn.commit)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()


class ImmediateTransaction(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            # The connection runs in autocommit: only a transaction left open by a failure needs ending.
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

    async def create_connection(self, with_db: bool) -> None:
        if self._connection:
            return
        pragmas = dict(self.pragmas)
        # The busy timeout becomes how long ``Inline`` waits, on the loop, for another process's lock.
        busy_seconds = int(pragmas.pop("busy_timeout", 5000)) / 1000
        connection = Inline(self.filename, busy_seconds)
        for pragma, value in pragmas.items():
            await (await connection.execute(f"PRAGMA {pragma}={value}")).close()
        self._connection = connection  # type: ignore[assignment]  # answers the calls Tortoise makes
        await self._post_connect()

    def _read(self, query: str, values: list[Any] | None) -> list[sqlite3.Row] | None:
        """The rows of a read on the reader connection; None when it must take the writer's path."""
        if self.filename == ":memory:" or self._connection is None:
            return None  # a second connection would open another database
        if self._reader is None:
            # No busy wait on the loop's thread: a busy read takes the writer's path, which waits on the loop.
            reader = sqlite3.connect(self.filename, timeout=0, isolation_level=None, check_same_thread=False)
            reader.row_factory = sqlite3.Row
            reader.execute("PRAGMA query_only=ON")
            for pragma in ("mmap_size", "cache_size"):  # how the writer reads, the reader reads
                if pragma in self.pragmas:
                    reader.execute(f"PRAGMA {pragma}={int(self.pragmas[pragma])}")
            self._reader = reader
        self.log.debug("%s: %s", query, values)
        try:
            return self._reader.execute(query.replace("\x00", "'||CHAR(0)||'"), values or ()).fetchall()
        except sqlite3.OperationalError as exc:
            if _busy(exc):
                return None
            raise OperationalError(exc) from exc
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(exc) from exc

    @translate_exceptions
    async def execute_many(self, query: str, values: list[list[Any]]) -> None:
        # Tortoise's own begins with a deferred BEGIN, whose first write cannot wait for the lock.
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            await connection.execute("BEGIN IMMEDIATE")
            try:
                await connection.executemany(query, values)
            except Exception:
                await connection.rollback()
                raise
            await connection.commit()

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
