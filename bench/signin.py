"""A sign-in flood: the server's peak memory and the ``GET /v1/diaries`` latency while it lasts.

Each wave fires 100 sign-ins at once (wrong passwords, the attack of a credential-stuffing client)
from a separate process, while this process reads ``GET /v1/diaries`` on one connection, one
request after another, until the wave has been answered. Five waves per configuration; the read
latencies of all waves are pooled. The same reads with no flood are the baseline.

Run: ``.venv/bin/python bench/signin.py [--waves 5] [--attempts 100]``. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx2

from bench.harness import PYTHON, ROOT, bench_env, peak_rss_mb, serve

HANDLE = "压测正主"
PASSWORD = "bench-sign-in-password-1"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def flood(base: str, attempts: int, results: multiprocessing.Queue[dict[str, int]]) -> None:
    """``attempts`` wrong sign-ins at once; puts the count of each status."""

    async def run() -> dict[str, int]:
        limits = httpx2.Limits(max_connections=attempts)
        async with httpx2.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
            async def one(n: int) -> int:
                r = await client.post("/v1/sessions", json={"handle": HANDLE, "password": f"猜的密码{n}"})
                return r.status_code

            codes = await asyncio.gather(*(one(n) for n in range(attempts)))
        return {str(k): v for k, v in Counter(codes).items()}

    results.put(asyncio.run(run()))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def reads_while(base: str, busy: multiprocessing.Process | None, at_least: int) -> list[float]:
    """Read the diary list one request after another while ``busy`` runs (or ``at_least`` times)."""
    latencies: list[float] = []
    with httpx2.Client(base_url=base, timeout=60) as client:
        while (busy is not None and busy.is_alive()) or len(latencies) < at_least:
            started = time.perf_counter()
            r = client.get("/v1/diaries")
            latencies.append((time.perf_counter() - started) * 1000)
            assert r.status_code == 200, r.text
            if busy is None and len(latencies) >= at_least:
                break
    return latencies


def scenario(name: str, waves: int, attempts: int, **env: str) -> str:
    data = Path(tempfile.mkdtemp(prefix="meiji-bench-signin-"))
    server_env = bench_env(data, MEIJI_SEARCH_URL="memory://", MEIJI_BACKGROUND="false", **env)
    # The demo data: diaries for the list to read.
    subprocess.run([PYTHON, "-m", "meiji", "demo"], cwd=ROOT, env={**os.environ, **server_env}, check=True,
                   stdout=subprocess.DEVNULL)
    with serve(env=server_env) as (base, proc):
        with httpx2.Client(base_url=base, timeout=60) as client:
            r = client.post("/v1/accounts", json={"handle": HANDLE, "password": PASSWORD, "birth_date": "1990-01-01"})
            assert r.status_code == 201, r.text
        quiet = reads_while(base, None, 500)
        start_rss = rss_mb(proc.pid)
        during: list[float] = []
        statuses: Counter[str] = Counter()
        for _ in range(waves):
            results: multiprocessing.Queue[dict[str, int]] = multiprocessing.Queue()
            attacker = multiprocessing.Process(target=flood, args=(base, attempts, results))
            attacker.start()
            during += reads_while(base, attacker, 1)
            statuses.update(results.get(timeout=120))
            attacker.join()
        peak = peak_rss_mb(proc.pid)
    codes = ", ".join(f"{n}×{code}" for code, n in sorted(statuses.items()))
    return (f"| {name} | {start_rss:.0f} | {peak:.0f} | {percentile(quiet, 0.5):.1f} / {percentile(quiet, 0.99):.1f} | "
            f"{percentile(during, 0.5):.1f} / {percentile(during, 0.99):.1f} / {max(during):.0f} | "
            f"{len(during)} | {codes} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--waves", type=int, default=5)
    parser.add_argument("--attempts", type=int, default=100)
    args = parser.parse_args()
    print(f"{args.waves} waves of {args.attempts} wrong sign-ins at once; reads of GET /v1/diaries on one connection\n")
    print("| pool | RSS at start MB | peak RSS MB | reads, quiet: p50 / p99 ms | reads during the flood: "
          "p50 / p99 / max ms | reads | sign-in answers |")
    print("|---|---|---|---|---|---|---|")
    print(scenario("default (half the CPUs, queue 32)", args.waves, args.attempts))
    print(scenario("40 threads, queue 100 (as unbounded as anyio's shared pool)", args.waves, args.attempts,
                   MEIJI_PASSWORD_WORKERS="40", MEIJI_PASSWORD_QUEUE="100"))


if __name__ == "__main__":
    main()
