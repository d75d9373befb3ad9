"""The two ways to build a feed, measured on the same data: read-time merge against fan-out on write.

Called by ``bench/feed.py`` on its database (170,000 posts, a member following 200 sources), after
its HTTP runs. Both are measured as the SQL they run, on one SQLite connection opened as the
service opens it (WAL, memory-mapped reads), so the difference is the queries' and nothing else:

- **read-time merge** (what ``content/services/feed.py`` does): the SQL of one page, captured from
  the service itself (the member's follows, the public followed diaries and questions, the five
  post tables, the answers' question titles), replayed;
- **fan-out on write**: one row per (member, post) written when the post is published, in a table
  built here for this member from the same posts (``INSERT … SELECT`` over the same matching rules:
  named posts of followed accounts, the followed diaries' entries, posts on followed procedures,
  clinics and doctors, answers to followed questions). A page is one index range over the member's
  rows, then the posts' titles and current status by primary key (a post hidden since must not
  show), as a real one would need.

The write side of fan-out: rows inserted per second into that table (one transaction per post, as
a post with N followers writes N rows), so that "a post on a procedure with 10,000 followers" has a
cost in milliseconds on this machine.
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
FANOUT_TABLE = """
CREATE TABLE IF NOT EXISTS bench_feed_item (
    member_id INTEGER NOT NULL, created_at TEXT NOT NULL, rank INTEGER NOT NULL, post_id INTEGER NOT NULL,
    PRIMARY KEY (member_id, created_at, rank, post_id)) WITHOUT ROWID"""
# (rank, post table, the condition that a post reaches the member through a source they follow)
MATCHES = [
    (1, "content_diary_entry", "diary_id IN (SELECT CAST(target_id AS INTEGER) FROM content_follow "
                               "WHERE member_id = :m AND target_type = 'diary')"),
    (0, "content_diary", "(anonymous = 0 AND author_id IN (SELECT CAST(target_id AS INTEGER) FROM content_follow "
                         "WHERE member_id = :m AND target_type = 'account')) "
                         "OR procedure IN (SELECT target_id FROM content_follow WHERE member_id = :m "
                         "AND target_type = 'procedure') "
                         "OR clinic_id IN (SELECT CAST(target_id AS INTEGER) FROM content_follow "
                         "WHERE member_id = :m AND target_type = 'clinic') "
                         "OR doctor_id IN (SELECT CAST(target_id AS INTEGER) FROM content_follow "
                         "WHERE member_id = :m AND target_type = 'doctor')"),
    (2, "content_review", "(anonymous = 0 AND author_id IN (SELECT CAST(target_id AS INTEGER) FROM content_follow "
                          "WHERE member_id = :m AND target_type = 'account')) "
                          "OR procedure IN (SELECT target_id FROM content_follow WHERE member_id = :m "
                          "AND target_type = 'procedure') "
                          "OR (target_type || ':' || target_id) IN (SELECT target_type || ':' || target_id "
                          "FROM content_follow WHERE member_id = :m AND target_type IN ('clinic', 'doctor'))"),
    (3, "content_question", "(anonymous = 0 AND author_id IN (SELECT CAST(target_id AS INTEGER) FROM content_follow "
                            "WHERE member_id = :m AND target_type = 'account')) "
                            "OR procedure IN (SELECT target_id FROM content_follow WHERE member_id = :m "
                            "AND target_type = 'procedure')"),
    (4, "content_answer", "(anonymous = 0 AND author_id IN (SELECT CAST(target_id AS INTEGER) FROM content_follow "
                          "WHERE member_id = :m AND target_type = 'account')) "
                          "OR question_id IN (SELECT CAST(target_id AS INTEGER) FROM content_follow "
                          "WHERE member_id = :m AND target_type = 'question')"),
]
TITLES = {0: ("content_diary", "title"), 1: ("content_diary_entry", "text"), 2: ("content_review", "text"),
          3: ("content_question", "title"), 4: ("content_answer", "text")}


def _connect(db: Path) -> sqlite3.Connection:
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA mmap_size=268435456")
    return con


def captured_merge(data: Path, token: str) -> list[tuple[str, list[Any]]]:
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
    """Markdown lines: both reads, the fan-out table's build and the cost of writing fan-out rows."""
    statements = captured_merge(data, token)
    con = _connect(db)

    def merge_page() -> None:
        for sql, params in statements:
            con.execute(sql, params).fetchall()

    merge = _timed(merge_page)
    con.execute(FANOUT_TABLE)
    con.execute("DELETE FROM bench_feed_item")
    started = time.perf_counter()
    con.execute("BEGIN")
    for rank, table, condition in MATCHES:
        con.execute(f"INSERT OR IGNORE INTO bench_feed_item SELECT :m, created_at, {rank}, id FROM {table} "
                    f"WHERE status = 'published' AND ({condition})", {"m": member_id})
    con.execute("COMMIT")
    built = time.perf_counter() - started
    rows_built = con.execute("SELECT count(*) FROM bench_feed_item WHERE member_id = ?", [member_id]).fetchone()[0]

    def fanout_page() -> None:
        items = con.execute("SELECT rank, post_id FROM bench_feed_item WHERE member_id = ? "
                            "ORDER BY created_at DESC, rank DESC, post_id DESC LIMIT 21", [member_id]).fetchall()
        by_rank: dict[int, list[int]] = {}
        for rank, post_id in items:
            by_rank.setdefault(rank, []).append(post_id)
        for rank, ids in by_rank.items():
            table, column = TITLES[rank]
            marks = ", ".join("?" * len(ids))
            con.execute(f"SELECT id, {column}, status FROM {table} WHERE id IN ({marks})", ids).fetchall()

    fanout = _timed(fanout_page)
    # Writing: one post reaching 10,000 followers, one transaction (as it would be published).
    followers = 10_000
    when = "2026-11-29 12:00:00+00:00"
    started = time.perf_counter()
    con.execute("BEGIN")
    con.executemany("INSERT OR IGNORE INTO bench_feed_item VALUES (?, ?, 0, ?)",
                    [(1_000_000 + n, when, 999_999_999) for n in range(followers)])
    con.execute("COMMIT")
    write_ms = (time.perf_counter() - started) * 1000
    con.execute("DELETE FROM bench_feed_item WHERE post_id = 999999999")
    con.close()
    return [
        "| feed page (first, 20 items), SQL only | statements | p50 ms | p99 ms |",
        "|---|---|---|---|",
        f"| read-time merge (the service's own statements, replayed) | {len(statements)} | {merge[0]:.2f} | "
        f"{merge[1]:.2f} |",
        f"| fan-out on write (one index range, then titles and status by key) | 1 + up to 5 | {fanout[0]:.2f} | "
        f"{fanout[1]:.2f} |",
        "",
        f"fan-out rows for this member: {rows_built:,}, built in {built:.2f} s; writing one post to "
        f"{followers:,} followers: {write_ms:.0f} ms in one transaction ({followers / write_ms * 1000:,.0f} rows/s), "
        "during which every other write on SQLite waits",
    ]
