"""What a rate limit shared through PostgreSQL costs per request, beside the in-process one.

Run: ``.venv/bin/python bench/ratelimit.py [--seconds 5]``.

Two measurements on a throwaway PostgreSQL cluster:
- one hit by itself (``RateLimiter.hit``): in memory, and the shared limiter's one upsert, from one
  task and from 8 at once (as 8 connections' requests would), 5,000 hits each;
- ``GET /docs`` (a page kept in memory, no database read of its own, so the limiter is all it asks
  of the database; ``/healthz`` counts in no bucket)
  through HTTP with wrk at 8 connections, ``meiji serve`` on PostgreSQL with one worker: limits off,
  then limits that every request counts in (the ``ip`` bucket: one upsert per request), then a
  full window (a flood being refused: the process that saw it full answers 429 without the database;
  wrk counts the 429s as errors).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import PYTHON, ROOT, TABLE_HEAD, bench_env, load, row, serve
from kernel import db
from kernel.settings import RateLimit, Settings
from kernel.web.ratelimit import RateLimiter, SharedRateLimiter

HITS = 5000
# Far above what the bench sends: every hit is counted, none refused.
WIDE = {"ip": RateLimit(10**9, 300)}


async def hits(limiter: RateLimiter, tasks: int) -> tuple[float, float, float]:
    """(p50 µs, p99 µs, hits/s) of HITS hits from ``tasks`` concurrent tasks, each on its own address."""
    latencies: list[float] = []

    async def one(n: int) -> None:
        for _ in range(HITS // tasks):
            started = time.perf_counter()
            await limiter.hit("ip", f"198.51.100.{n}")
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(tasks)))
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100)
    return q[49] * 1e6, q[98] * 1e6, len(latencies) / elapsed


async def direct(url: str, data_dir: Path) -> list[tuple[str, tuple[float, float, float]]]:
    settings = Settings(data_dir=data_dir, database_url=url, storage_url="memory://", search_url="memory://",
                        background=False)
    await db.open_database(settings)
    try:
        results = [("in memory, 1 task", await hits(RateLimiter(WIDE), 1))]
        for tasks in (1, 8):
            results.append((f"PostgreSQL upsert, {tasks} task{'s' if tasks > 1 else ''}",
                            await hits(SharedRateLimiter(WIDE), tasks)))
        return results
    finally:
        await db.close_database()


async def empty_windows(url: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(url)
    await conn.execute("TRUNCATE rate_window")
    await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()

    from tests.servers import postgres_bin, postgres_cluster

    if postgres_bin() is None:
        raise SystemExit("PostgreSQL binaries are not installed (/usr/lib/postgresql/*/bin)")
    with postgres_cluster() as cluster, tempfile.TemporaryDirectory(prefix="meiji-bench-limits-") as tmp:
        import asyncpg

        async def create() -> None:
            conn = await asyncpg.connect(cluster.url("postgres"))
            await conn.execute("CREATE DATABASE meiji_limits")
            await conn.close()

        asyncio.run(create())
        url = cluster.url("meiji_limits")
        env = bench_env(Path(tmp), MEIJI_DATABASE_URL=url, MEIJI_SEARCH_URL="postgres", MEIJI_BACKGROUND="false")
        subprocess.run([PYTHON, "-m", "meiji", "db", "migrate"], cwd=ROOT, env={**os.environ, **env},
                       check=True, capture_output=True)

        print("One hit, by itself\n")
        print("| limiter | p50 µs | p99 µs | hits/s |\n|---|---|---|---|")
        for name, (p50, p99, rate) in asyncio.run(direct(url, Path(tmp))):
            print(f"| {name} | {p50:.0f} | {p99:.0f} | {rate:,.0f} |")

        print("\nGET /docs through HTTP, meiji serve on PostgreSQL (1 worker), wrk at 8 connections\n")
        print(TABLE_HEAD)
        results = {}
        for name, limits in (("limits off", "off"), ("shared limits on (one upsert per request)",
                                                     "ip=1000000000/300"),
                             ("shared limits, window full (every answer a 429)", "ip=1/300")):
            asyncio.run(empty_windows(url))  # each run starts with no window of 127.0.0.1 counted
            with serve(env={**env, "MEIJI_RATE_LIMITS": limits}) as (base, _):
                load(base + "/docs", 8, 1)  # warm-up
                results[name] = load(base + "/docs", 8, args.seconds)
            print(row(name, results[name], results.get("limits off")))
        off, on = results["limits off"], results["shared limits on (one upsert per request)"]
        print(f"\ncost per request: {1e6 / on['rps'] - 1e6 / off['rps']:.0f} µs of server time at 8 connections; "
              f"p50 {on['p50_ms'] - off['p50_ms']:+.2f} ms, p99 {on['p99_ms'] - off['p99_ms']:+.2f} ms")


if __name__ == "__main__":
    main()
