"""Background work (indexer, sweeper, legal timers, cleanups, delivery) run by one app process.

With ``MEIJI_BACKGROUND=true`` and ``meiji serve --workers N`` on PostgreSQL, every worker starts
the same lifespan. Only the worker holding a PostgreSQL advisory lock runs the jobs; the others wait
and take over when its connection ends (the process died or lost the database), so the timers run
once however many workers or hosts are up. The embedded default has one process: it just runs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from tortoise.backends.base.config_generator import expand_db_url

from kernel import db
from kernel.settings import Settings

log = logging.getLogger("meiji")

Job = tuple[str, float, Callable[[], Awaitable[object]]]

# The advisory lock's key, the same in every process of one database: "meiji" as a number.
LOCK_KEY = 0x6D65696A69
# How often a waiting worker tries the lock, and the leader checks it still holds its connection.
CHECK_SECONDS = 5.0


async def every(seconds: float, name: str, job: Callable[[], Awaitable[object]]) -> None:
    while True:
        try:
            await job()
        except Exception:  # a failed round is logged and retried next round
            log.exception("background job %s failed", name)
        await asyncio.sleep(seconds)


async def run_jobs(jobs: Sequence[Job]) -> None:
    """Run every job in rounds until cancelled."""
    tasks = [asyncio.create_task(every(seconds, name, job), name=name) for name, seconds, job in jobs]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def run_once_among_workers(settings: Settings, jobs: Sequence[Job], check_seconds: float = CHECK_SECONDS) -> None:
    """Run ``jobs`` while this process holds the database's background lock; wait for it otherwise."""
    if db.is_sqlite(settings):
        await run_jobs(jobs)
        return
    import asyncpg  # type: ignore[import-untyped]

    creds = expand_db_url(db.database_url(settings))["credentials"]
    while True:
        conn: Any = None
        try:
            conn = await asyncpg.connect(host=creds.get("host"), port=creds.get("port"), user=creds.get("user"),
                                         password=creds.get("password"), database=creds.get("database"),
                                         ssl=creds.get("ssl"), timeout=10)
            if await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):
                log.info("this process runs the background jobs")
                await _lead(conn, jobs, check_seconds)
        except Exception as exc:  # noqa: BLE001 - the database went away: try again, the jobs stopped
            log.warning("background lock lost or not reachable: %s", type(exc).__name__)
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()
        await asyncio.sleep(check_seconds)


async def _lead(conn: Any, jobs: Sequence[Job], check_seconds: float) -> None:
    """Run the jobs until the lock's connection fails (then another process may hold it)."""
    running = asyncio.create_task(run_jobs(jobs), name="background")
    try:
        while not running.done():
            await asyncio.sleep(check_seconds)
            await conn.fetchval("SELECT 1", timeout=10)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
