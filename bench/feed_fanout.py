"""What fan-out on write costs on the feed benchmark's data: a page's SQL, and a post's writes.

Called by ``bench/feed.py`` on its database (170,000 posts, a member following 200 sources), after
its HTTP runs, on one SQLite connection opened as the service opens it (WAL, memory-mapped reads):

- **a page**: the SQL statements the service runs for the member's first page, captured from the
  service itself and replayed (the SQL alone, without the app around it);
- **a post's writes**: the rows one post reaching 10,000 followers writes into
  ``content_feed_item``, in one transaction as it is published, during which every other write
  on SQLite waits.

The read-time merge the service used before was measured the same way on the same data (9
statements, 1.07 ms p50 and 1.28 ms p99 of SQL a page, against 0.06 and 0.12 ms for fan-out's
page): ``bench/README.md``, "Feed", and this file as of commit ``d7f719a``.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

PAGES = 300


def _connect(db: Path) -> sqlite3.Connection:
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA cache_size=-16000")  # as the server reads (kernel/db.py)
    return con


def captured_page(data: Path, token: str) -> list[tuple[str, list[Any]]]:
    """The SQL statements (with their values) the service runs for the member's first feed page."""
    os.environ.update({"MEIJI_DATA_DIR": str(data), "MEIJI_RATE_LIMITS": "off", "MEIJI_LOG_LEVEL": "warning"})
    import content.services.feed as feed
    import content.services.follows as follows
    import kernel.rows as rows
    from bench.asgi import InProcess
    from meiji.app import create_app

    statements: list[tuple[str, list[Any]]] = []
    real = rows.fetch

    async def recording(qs: Any) -> list[Any]:
        statements.append(rows._sql(qs))
        return await real(qs)

    async def page() -> None:
        async with InProcess(create_app()) as app:
            for module in (feed, follows):
                setattr(module, "fetch", recording)  # noqa: B010
            try:
                status, _ = await app.raw("GET", "/v1/me/feed?limit=20", None, {"Authorization": f"Bearer {token}"})
            finally:
                for module in (feed, follows):
                    setattr(module, "fetch", real)  # noqa: B010
            assert status == 200, status

    asyncio.run(page())
    return statements


def _timed(run: Any, pages: int = PAGES) -> tuple[float, float]:
    """p50 and p99 in ms of ``run()`` over ``pages`` calls, after a warm-up."""
    for _ in range(20):
        run()
    times = []
    for _ in range(pages):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99)]


def compare(db: Path, data: Path, member_id: int, token: str) -> list[str]:
    """Markdown lines: the page's SQL and the cost of writing one post to 10,000 followers."""
    statements = captured_page(data, token)
    con = _connect(db)

    def page() -> None:
        for sql, params in statements:
            con.execute(sql, params).fetchall()

    p50, p99 = _timed(page)
    rows = con.execute("SELECT count(*) FROM content_feed_item WHERE member_id = ?", [member_id]).fetchone()[0]
    followers, post_id = 10_000, 999_999_999
    when = con.execute("SELECT max(created_at) FROM content_feed_item").fetchone()[0]
    started = time.perf_counter()
    con.execute("BEGIN")
    con.executemany("INSERT INTO content_feed_item (member_id, created_at, rank, post_id, because_type, because_id) "
                    "VALUES (?, ?, 3, ?, 'procedure', 'p0') ON CONFLICT DO NOTHING",
                    [(1_000_000 + n, when, post_id) for n in range(followers)])
    con.execute("COMMIT")
    write_ms = (time.perf_counter() - started) * 1000
    con.execute("DELETE FROM content_feed_item WHERE post_id = ?", [post_id])
    con.close()
    return [
        "| feed page (first, 20 items), SQL only | statements | p50 ms | p99 ms |",
        "|---|---|---|---|",
        f"| the service's page (fan-out on write), replayed | {len(statements)} | {p50:.2f} | {p99:.2f} |",
        "",
        f"the member's feed rows: {rows:,}; one post to {followers:,} followers: {write_ms:.0f} ms in one "
        f"transaction ({followers / write_ms * 1000:,.0f} rows/s), during which every other write on SQLite waits",
    ]
