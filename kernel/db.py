"""The database: Tortoise configuration for every room, migrations, and the SQLite defaults."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
from collections.abc import Hashable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import get_connection
from tortoise.context import get_current_context
from tortoise.migrations.api import migrate as run_migrations
from tortoise.migrations.executor import MigrationExecutor
from tortoise.models import Model

from kernel.settings import Settings
from kernel.sqlite import ImmediateSqliteClient

# Each room is a Tortoise app with its own checked-in migrations. Rooms refer to each other's rows
# by id only (no foreign keys across rooms), so each room's migrations stand alone. The kernel's one
# table (idempotency records) stays in the "meiji" app, whose migrations created it.
APPS: dict[str, list[str]] = {
    "meiji": ["meiji.accounts.models", "meiji.delivery.models", "kernel.web.models"],
    "content": ["content.models"],
    "media": ["media.models"],
    "search": ["search.models"],
    "moderation": ["moderation.models"],
}

# WAL is Tortoise's default; NORMAL sync is safe under WAL, and a busy timeout lets a second
# process (the indexer, a CLI command) wait for the writer instead of failing. Each connection
# keeps up to 16 MB of pages in its own cache (SQLite's default is 2 MB). Pages were read through
# a 256 MB memory map until 2026-12-01, for a feed page whose five queries evicted each other from
# the 2 MB cache; the feed is one query since, as fast either way (1,758 against 1,741 req/s), and
# the map grew the server's RSS with every page the data added, without bound but the file's size
# (bench/README.md, 2026-12-01).
SQLITE_PRAGMAS = "busy_timeout=5000&synchronous=NORMAL&cache_size=-16000"


def database_url(settings: Settings) -> str:
    url = settings.database_url
    if url.startswith("sqlite://"):
        Path(urlsplit(url).path).parent.mkdir(parents=True, exist_ok=True)
        if "?" not in url:
            url = f"{url}?{SQLITE_PRAGMAS}"
    elif url.startswith("postgres://"):
        url = "asyncpg://" + url.removeprefix("postgres://")
    return url


def is_sqlite(settings: Settings) -> bool:
    return settings.database_url.startswith("sqlite://")


def connection_name(settings: Settings) -> str:
    # Tortoise caches compiled SQL per connection name: naming the connection after its dialect
    # keeps SQLite's and PostgreSQL's statements apart when one process uses both (the tests).
    return "sqlite" if is_sqlite(settings) else "postgres"


async def _keep_session(connection: Any) -> None:
    """What a PostgreSQL connection goes through on its way back to the pool, after asyncpg has
    rolled back a transaction left open: nothing more. By default asyncpg also sends ``RESET ALL``,
    ``CLOSE ALL``, ``UNLISTEN *`` and ``pg_advisory_unlock_all()`` each time, one more round trip
    per statement outside a transaction; no code here changes a pooled session's settings, listens,
    holds a cursor or takes a session-level lock (``meiji/background.py``'s lock has its own
    connection)."""


def _connection_config(settings: Settings) -> str | dict[str, Any]:
    url = database_url(settings)
    if not is_sqlite(settings):
        config = expand_db_url(url)
        config["credentials"]["reset"] = _keep_session
        return config
    # Tortoise's SQLite client with transactions that begin IMMEDIATE (kernel/sqlite.py).
    return {"engine": "kernel.sqlite", "credentials": expand_db_url(url)["credentials"]}


def tortoise_config(settings: Settings) -> dict[str, Any]:
    name = connection_name(settings)
    return {
        "connections": {name: _connection_config(settings)},
        "apps": {
            label: {"models": modules, "default_connection": name, "migrations": f"{label}.migrations"}
            for label, modules in APPS.items()
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def _close_quietly() -> None:
    """Close what ``Tortoise.init`` opened without its "Tortoise-ORM shutdown" line.

    That line is for the end of a process; logged after a look at the migrations, it told
    operators the server was shutting down while it was starting.
    """
    context = get_current_context()
    if context is not None:
        await context.close_connections()


async def migrate(settings: Settings) -> None:
    """Apply every pending migration of every room."""
    try:
        await run_migrations(config=tortoise_config(settings))
    finally:
        await _close_quietly()


async def pending(settings: Settings) -> list[str]:
    """The migrations not applied yet, as ``app.name``; reading them costs next to nothing."""
    config = tortoise_config(settings)
    await Tortoise.init(config=config, init_connections=False)
    try:
        executor = MigrationExecutor(get_connection(connection_name(settings)), config["apps"])
        steps = await executor.plan(None)
    finally:
        await _close_quietly()
    return [f"{step.migration.app_label}.{step.migration.name}" for step in steps if not step.backward]


async def migrate_apart(settings: Settings) -> None:
    """Apply pending migrations in a child process (``meiji db migrate``), then return.

    Tortoise replays every migration's models to know the schema they lead to: about 30 MB of
    objects, growing with each migration, that a long-lived server would otherwise keep as
    fragmented heap for its whole life.
    """
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "meiji", "db", "migrate",
        env={**os.environ, "MEIJI_DATABASE_URL": settings.database_url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, errors = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"meiji db migrate failed ({child.returncode}): {errors.decode(errors='replace')[-4000:]}")


_active_name = "sqlite"


async def open_database(settings: Settings) -> None:
    global _active_name
    _active_name = connection_name(settings)
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)


async def close_database() -> None:
    # Also forgets the global context, so another app (a test, a CLI job) can open its own.
    await Tortoise.close_connections()


def connection() -> BaseDBAsyncClient:
    """The one database connection (pool) of the process, for raw SQL: inside ``in_transaction()``,
    the transaction's (Tortoise keeps it per task in its context)."""
    client: BaseDBAsyncClient = get_connection(_active_name)
    return client


def change_mark() -> Hashable | None:
    """A value that differs once a change to the database was committed, by this process or another;
    None where the database cannot tell that cheaply (PostgreSQL, an in-memory SQLite). Answers kept
    for readers (``kernel.web.kept``) hold only while it stays the same."""
    client = connection()
    return client.data_version() if isinstance(client, ImmediateSqliteClient) else None


def holds(model: type[Model], field: str, value: str) -> bool:
    """Whether ``value`` fits ``model.field`` (its ``max_length``). A longer value names no row, but
    Tortoise refuses to filter with it (a ValidationError, which would be a 500): a lookup by a key
    from a path asks this first and answers 404, or changes nothing, when it does not fit."""
    limit: int | None = getattr(model._meta.fields_map[field], "max_length", None)
    return limit is None or len(value) <= limit


def dialect() -> str:
    """``sqlite`` or ``postgres``: what the open database speaks."""
    return _active_name


def placeholders(statement: str) -> str:
    """Raw SQL written with ``?`` placeholders, as the open database wants them: unchanged on
    SQLite, ``$1``, ``$2``... on PostgreSQL (the statements never hold a literal ``?``)."""
    if _active_name != "postgres":
        return statement
    parts = statement.split("?")
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], 1)) + parts[-1]


async def ping() -> None:
    await connection().execute_query("SELECT 1")


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or used; the message names the setting, host and reason, never a password."""


CHECK_SECONDS = 5.0


def where(settings: Settings) -> str:
    """The database as an operator names it: ``PostgreSQL at host:5432/meiji`` or ``SQLite at /path``."""
    parts = urlsplit(settings.database_url)
    if is_sqlite(settings):
        return f"SQLite at {parts.path}"
    host = parts.hostname or parse_qs(parts.query).get("host", ["localhost"])[-1]
    return f"PostgreSQL at {host}:{parts.port or 5432}{parts.path}"


def reason(exc: BaseException) -> str:
    """Why a connection failed, in words and without secrets (a DSN is never echoed)."""
    import asyncpg  # type: ignore[import-untyped]

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused (is the server running and listening there?)"
        if isinstance(seen, socket.gaierror):
            return "unknown host name"
        if isinstance(seen, TimeoutError | asyncio.TimeoutError):
            return f"no answer within {CHECK_SECONDS:g} s"
        if isinstance(seen, asyncpg.InvalidPasswordError):
            return "the password or user was refused"
        if isinstance(seen, asyncpg.InvalidCatalogNameError):
            return "the database does not exist"
        if isinstance(seen, asyncpg.PostgresError):
            return f"the server refused: {type(seen).__name__}"
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror.lower()
        if isinstance(seen, sqlite3.Error):
            return str(seen)
        seen = seen.__cause__ or seen.__context__
    return type(exc).__name__


def outage_errors() -> tuple[type[BaseException], ...]:
    """What a query raises while the database is down, restarting or dropped its connection.

    A request meeting one is answered 503 with ``Retry-After`` instead of 500: the pool reconnects
    by itself once the server is back, so the client's retry succeeds.
    """
    import asyncpg
    from tortoise.exceptions import DBConnectionError

    from kernel.sqlite import DatabaseLocked

    # DatabaseLocked: on SQLite, another process (a CLI command) held the write lock past busy_timeout.
    # InternalClientError: a connection the server ended while the pool held it fails its reset on
    # release ("cannot switch to state 15"); the pool then closes it, so a retry gets a fresh one.
    return (ConnectionError, DBConnectionError, asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError,
            asyncpg.AdminShutdownError, asyncpg.CrashShutdownError, asyncpg.ConnectionDoesNotExistError,
            asyncpg.InternalClientError, DatabaseLocked)


def outage_aftermath() -> tuple[type[BaseException], ...]:
    """Errors that follow an outage when caused by one of ``outage_errors`` (``is_outage`` tells),
    and are bugs otherwise."""
    import asyncpg

    return (asyncpg.InterfaceError,)


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` or what caused it is the database being unavailable."""
    kinds = outage_errors()
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kinds):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def check(settings: Settings) -> None:
    """Connect once and run ``SELECT 1``; raise ``DatabaseUnavailable`` with one line when that fails."""
    try:
        if is_sqlite(settings):
            def probe() -> None:
                path = urlsplit(settings.database_url).path
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                sqlite3.connect(path, timeout=CHECK_SECONDS).close()

            await asyncio.to_thread(probe)
            return
        import asyncpg

        # Tortoise's own reading of the URL, so pool options (minsize=…) are not taken for server settings.
        creds = expand_db_url(database_url(settings))["credentials"]
        conn = await asyncpg.connect(host=creds.get("host"), port=creds.get("port"), user=creds.get("user"),
                                     password=creds.get("password"), database=creds.get("database"),
                                     ssl=creds.get("ssl"), timeout=CHECK_SECONDS)
        try:
            await conn.execute("SELECT 1")
        finally:
            await conn.close()
    except Exception as exc:  # every failure is told in one line below
        raise DatabaseUnavailable(f"MEIJI_DATABASE_URL: cannot use {where(settings)}: {reason(exc)}") from exc


def __getattr__(name: str) -> Any:
    # ``tortoise -c kernel.db.TORTOISE_ORM makemigrations`` during development, read lazily.
    if name == "TORTOISE_ORM":
        from kernel import settings as settings_module

        return tortoise_config(settings_module.load())
    raise AttributeError(name)
