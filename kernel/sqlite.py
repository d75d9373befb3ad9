"""Tortoise's SQLite client, run on the event loop's own thread, with transactions that take the
write lock when they begin.

**No hand-over to a thread.** Tortoise talks to SQLite through aiosqlite, which runs every statement
in a thread of its own: a queue, a wake-up, the GIL handed over and back, a pipe to wake the loop.
Measured here (``bench/profiles.py``) that costs about 200 µs a statement, where SQLite answers a
point read or a small write in tens of microseconds; an entry written in five statements spent
two thirds of its time handing them over. ``Inline`` answers the same calls on the loop's thread.
What SQLite may do slowly is wait for another process's write lock (a CLI command or a cron job
beside the server): that wait sleeps on the loop (``asyncio.sleep``) instead of blocking it, up to
the configured ``busy_timeout``. A statement that scans a large table does hold the loop while it
runs; the service's statements are indexed.

**A wait holds nothing of this process.** Tortoise serialises a process's statements on one lock.
A statement that met another process's write lock used to pause while holding it, so every write
of this process queued behind the pause, and each of them then needed a turn of the event loop to
start: under load that convoy drained more slowly than it filled (with a job writing 50 short
transactions a second beside the server, writes went from 60 ms to 230-265 ms at p50 in
``bench/mixed.py --writer-beside 50``). A busy attempt now gives the lock back before its pause
(``patiently``), and the writes of this process wait side by side.

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
import functools
import itertools
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from tortoise.backends.base.client import TransactionalDBClient, TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
    translate_exceptions,
)
from tortoise.connection import get_connections
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError

T = TypeVar("T")
FIRST_PAUSE = 0.001
LONGEST_PAUSE = 0.01


def _busy(exc: sqlite3.Error) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED, extended codes included (the lower byte is the primary code)."""
    return (exc.sqlite_errorcode & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class DatabaseLocked(OperationalError):
    """Another process held the write lock longer than ``busy_timeout``: the database is
    unavailable to writes for now, and a request meeting this is answered 503 with Retry-After."""


class Busy(Exception):
    """Another process holds the write lock: try again after a pause, without holding this
    process's connection lock meanwhile (``patiently``)."""

    def __init__(self, seconds: float) -> None:
        super().__init__("database is locked")
        self.seconds = seconds


async def patiently(attempt: Callable[[], Awaitable[T]]) -> T:
    """``attempt()`` until it does not meet another process's write lock, up to the busy timeout.

    Each attempt takes this process's connection lock and gives it back before the pause: waiting
    while holding it would queue every other statement of this process behind the wait, and each
    of them would then need a turn of the event loop to start, a convoy that a busy loop drains
    more slowly than it fills.
    """
    loop = asyncio.get_running_loop()
    pause, deadline = FIRST_PAUSE, None
    while True:
        try:
            return await attempt()
        except Busy as busy:
            # Timed by the clock: under load a pause lasts as long as the loop's turn, not as asked.
            deadline = loop.time() + busy.seconds if deadline is None else deadline
            if loop.time() >= deadline:
                raise DatabaseLocked(busy.__cause__ or busy) from busy
        await asyncio.sleep(pause)
        pause = min(pause * 2, LONGEST_PAUSE)


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
        """``call(*args)``; ``Busy`` while another process holds the write lock (outside a
        transaction, or at its BEGIN: a statement in one holds the lock already)."""
        try:
            return call(*args)
        except sqlite3.OperationalError as exc:
            if _busy(exc) and not self._conn.in_transaction:
                raise Busy(self.busy_seconds) from exc
            raise

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


class WaitingTransactionContext(SqliteTransactionContext):
    """Tortoise's SQLite transaction context, whose BEGIN waits for another process's write lock
    without holding this process's connection lock during the pauses (``patiently``)."""

    async def __aenter__(self) -> TransactionalDBClient:
        async def begin() -> None:
            await self._trxlock.acquire()
            try:
                await self.ensure_connection()
                await self.connection.begin()
            except BaseException:
                self._trxlock.release()
                raise

        await patiently(begin)
        self.token = get_connections().set(self.connection_name, self.connection)
        return self.connection  # type: ignore[no-any-return]


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


# Reader connections opened in this process: a reader opened again (another database, a reopened
# one) counts its data_version from the start, so its generation tells its values apart.
_READERS = itertools.count(1)


class ImmediateSqliteClient(SqliteClient):
    _reader: sqlite3.Connection | None = None
    _generation = 0  # which reader connection of this process is open (none: 0)

    def _in_transaction(self) -> TransactionContext:
        return WaitingTransactionContext(ImmediateTransaction(self), self._lock)

    async def create_connection(self, with_db: bool) -> None:
        if self._connection:
            return
        pragmas = dict(self.pragmas)
        # The busy timeout becomes how long a statement waits, on the loop, for another process's lock (``patiently``).
        busy_seconds = int(pragmas.pop("busy_timeout", 5000)) / 1000
        connection = Inline(self.filename, busy_seconds)
        for pragma, value in pragmas.items():  # journal_mode=WAL may meet another process's lock
            await (await patiently(functools.partial(connection.execute, f"PRAGMA {pragma}={value}"))).close()
        self._connection = connection  # type: ignore[assignment]  # answers the calls Tortoise makes
        await self._post_connect()

    def _reader_connection(self) -> sqlite3.Connection | None:
        """The connection reads take outside transactions, opened on first use; None for ``:memory:``."""
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
            self._generation = next(_READERS)
        return self._reader

    def data_version(self) -> tuple[int, int] | None:
        """A value that differs once any other connection committed a change: this process's writer
        connection or another process's (SQLite's ``PRAGMA data_version``, asked of the reader, which
        never writes). None for ``:memory:`` or while the database cannot answer."""
        reader = self._reader_connection()
        if reader is None:
            return None
        try:
            (version,) = reader.execute("PRAGMA data_version").fetchone()
        except sqlite3.OperationalError:
            return None
        return self._generation, int(version)  # a reader opened again starts counting anew

    def _read(self, query: str, values: list[Any] | None) -> list[sqlite3.Row] | None:
        """The rows of a read on the reader connection; None when it must take the writer's path."""
        reader = self._reader_connection()
        if reader is None:
            return None
        self.log.debug("%s: %s", query, values)
        try:
            return reader.execute(query.replace("\x00", "'||CHAR(0)||'"), values or ()).fetchall()
        except sqlite3.OperationalError as exc:
            if _busy(exc):
                return None
            raise OperationalError(exc) from exc
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(exc) from exc

    @translate_exceptions
    async def _execute_many(self, query: str, values: list[list[Any]]) -> None:
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

    # Statements outside a transaction: each attempt holds the connection lock, no pause does.
    async def execute_many(self, query: str, values: list[list[Any]]) -> None:
        await patiently(lambda: self._execute_many(query, values))

    async def execute_insert(self, query: str, values: list[Any]) -> int:
        return await patiently(lambda: super(ImmediateSqliteClient, self).execute_insert(query, values))

    async def execute_script(self, query: str) -> None:
        await patiently(lambda: super(ImmediateSqliteClient, self).execute_script(query))

    async def execute_query(self, query: str, values: list[Any] | None = None) -> tuple[int, Sequence[dict[str, Any]]]:
        rows = self._read(query, values) if _is_read(query) else None
        if rows is None:
            return await patiently(lambda: super(ImmediateSqliteClient, self).execute_query(query, values))
        return len(rows), rows  # type: ignore[return-value]  # sqlite3.Row reads like the dict Tortoise names

    async def execute_query_dict(self, query: str, values: list[Any] | None = None) -> list[dict[str, Any]]:
        rows = self._read(query, values) if _is_read(query) else None
        if rows is None:
            return await patiently(lambda: super(ImmediateSqliteClient, self).execute_query_dict(query, values))
        return [dict(row) for row in rows]

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        await super().close()


client_class = ImmediateSqliteClient

