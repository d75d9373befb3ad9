"""Shared benchmark machinery: a server in its own process, wrk in another, and the floors.

Every benchmark measures its own baseline in the same run, on the same machine, so the printed
ratios mean something even when the absolute numbers move with the hardware. ``interleaved`` runs the
floors and the endpoints in turn, three rounds by default, and the reports give the median ratio with
every round's: a shared machine that swings by 2× during a run moves a round, not the figure.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

_WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"errors": %d, "non2xx": %d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def serve(app: str = "meiji.app:create_app", env: Mapping[str, str] | None = None, *, factory: bool = True,
          ready_path: str = "/healthz", timeout: float = 60,
          loop: str = "asyncio") -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run ``app`` under uvicorn (one worker, httptools, ``loop``: asyncio's, as ``meiji serve`` runs
    the service) in its own process; yields its URL."""
    port = free_port()
    args = [PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
            "--loop", loop, "--http", "httptools", "--no-access-log", "--log-level", "warning"]
    if factory:
        args.append("--factory")
    proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{app} exited with {proc.returncode}")
            try:
                urllib.request.urlopen(base + ready_path, timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (scripts/bench does it when run as root)")
    return found


def load(url: str, connections: int, seconds: float = 5, method: str = "GET", body: Any = None,
         headers: Mapping[str, str] | None = None, lua: str = "") -> dict[str, float]:
    """Drive ``url`` with wrk from another process; returns rps, p50_ms, p99_ms, errors, non2xx."""
    script = [f'wrk.method = "{method}"']
    if body is not None:
        raw = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        script.append(f"wrk.body = {json.dumps(raw, ensure_ascii=False)}")
        script.append('wrk.headers["Content-Type"] = "application/json"')
    for name, value in (headers or {}).items():
        script.append(f'wrk.headers["{name}"] = "{value}"')
    script.append(lua)
    script.append(_WRK_DONE)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as f:
        f.write("\n".join(script))
        path = f.name
    try:
        threads = min(2, connections)
        duration = f"{max(1, round(seconds))}s"
        out = subprocess.run([wrk_binary(), "-t", str(threads), "-c", str(connections), "-d", duration,
                              "--timeout", "5s", "-s", path, url], capture_output=True, text=True, check=True)
    finally:
        os.unlink(path)
    line = next(x for x in out.stdout.splitlines() if x.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "errors": data["errors"],
        "non2xx": data["non2xx"],
    }


def bench_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment for a meiji server under benchmark: embedded default, no rate limits."""
    return {"MEIJI_DATA_DIR": str(data_dir), "MEIJI_RATE_LIMITS": "off", "MEIJI_LOG_LEVEL": "warning", **extra}


# A second server on the same data whose lists are computed for every request, beside the one that
# keeps them until the next write (``MEIJI_LISTS_KEPT``): a benchmark that reads one page over and over
# with nothing written meanwhile measures kept pages; apps writing as they read meet the computed ones.
COMPUTED = {"MEIJI_LISTS_KEPT": "0"}


def computing_app() -> Any:
    """The service as that second process: it reads the embedded search index the first one writes."""
    from meiji.app import create_app

    return create_app(index_owner=False)


def serve_computing(env: Mapping[str, str]) -> contextlib.AbstractContextManager[tuple[str, Any]]:
    """The second server (``COMPUTED``) on the data of ``env``, beside the one ``serve(env=env)`` runs."""
    return serve("bench.harness:computing_app", {**env, **COMPUTED})


@contextlib.contextmanager
def floors(data_dir: Path) -> Iterator[dict[str, str]]:
    """The three floors as URLs: a three-column row read (the strict one), a single account-row read
    through Tortoise, and a bare Starlette JSON endpoint."""
    env = bench_env(data_dir)
    # The floors run on uvloop, as they were first measured: the least a minimal application costs.
    with serve("bench.floors:strict_app", env, factory=False, ready_path="/healthz", loop="uvloop") as (strict, _), \
            serve("bench.floors:orm_app", env, factory=False, ready_path="/healthz", loop="uvloop") as (orm, _), \
            serve("bench.floors:bare_app", env, factory=False, ready_path="/", loop="uvloop") as (bare, _):
        yield {"strict": strict + "/row", "orm": orm + "/row", "bare": bare + "/"}


FLOOR_NAMES = {"strict": "floor: one three-column row through Tortoise",
               "orm": "floor: one account row through Tortoise", "bare": "floor: bare Starlette JSON"}

Measure = Callable[[int, float], dict[str, float]]


@dataclass
class Rounds:
    """Every run of an interleaved measurement: per name, per connection count, one result per round."""

    connections: tuple[int, ...]
    floors: dict[str, dict[int, list[dict[str, float]]]] = field(default_factory=dict)
    ours: dict[str, dict[int, list[dict[str, float]]]] = field(default_factory=dict)

    def ratios(self, name: str, c: int, floor: str = "strict") -> list[float]:
        """Throughput over the floor's, round by round (each against the floor run just before it)."""
        return [r["rps"] / f["rps"] for r, f in zip(self.ours[name][c], self.floors[floor][c], strict=True)]


def interleaved(data_dir: Path, ours: Mapping[str, Measure], connections: tuple[int, ...] = (8, 64),
                seconds: float = 5, rounds: int = 3) -> Rounds:
    """Run the floors, then each of ``ours``, ``rounds`` times over, so that a machine that slows down
    for a while slows a floor run and the endpoint runs beside it alike. ``ours`` maps a name to a
    function of (connections, seconds) that loads the server under test (already running)."""
    result = Rounds(connections)
    with floors(data_dir) as urls:
        for url in urls.values():
            load(url, 8, 1)  # warm-up
        for _ in range(rounds):
            for c in connections:
                for name, url in urls.items():
                    result.floors.setdefault(name, {}).setdefault(c, []).append(load(url, c, seconds))
                for name, measure in ours.items():
                    result.ours.setdefault(name, {}).setdefault(c, []).append(measure(c, seconds))
    return result


def measure_floors(data_dir: Path, connections: tuple[int, ...] = (8, 64),
                   seconds: float = 5) -> dict[str, dict[int, dict[str, float]]]:
    """One run of each floor (for benchmarks whose own runs cannot be repeated in rounds)."""
    results: dict[str, dict[int, dict[str, float]]] = {}
    with floors(data_dir) as urls:
        for name, url in urls.items():
            for c in connections:
                results.setdefault(name, {})[c] = load(url, c, seconds)
    return results


# A production server's memory setting, not the 128 MB default: PostgreSQL's own cache holds the
# search table and its indexes (640 MB at 170,000 documents), as docs/operations.md asks of operators.
POSTGRES_SETTINGS = ("shared_buffers=1GB",)


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[Any]:
    """A PostgreSQL cluster from the installed binaries, in a temporary directory, with an empty
    ``meiji`` database (the tests' own helper starts it); yields the cluster (``.url("meiji")``)."""
    import asyncio

    import asyncpg

    from tests.servers import postgres_cluster

    with postgres_cluster(*POSTGRES_SETTINGS) as pg:
        async def create() -> None:
            conn = await asyncpg.connect(pg.url("postgres"))
            try:
                await conn.execute("CREATE DATABASE meiji")
            finally:
                await conn.close()

        asyncio.run(create())
        yield pg


def post_json(url: str, payload: Any, headers: Mapping[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.load(r)


def get_json(url: str, headers: Mapping[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, headers=dict(headers or {}))
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.load(r)


def peak_rss_mb(pid: int) -> float:
    """The peak resident memory of a process so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _stat(pid: int) -> tuple[int, float]:
    """(parent pid, CPU seconds) of a process from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree(root: int) -> list[int]:
    """``root`` and every descendant (uvicorn's workers are children of its supervisor)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents.setdefault(_stat(int(entry.name))[0], []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """The resident memory of a process now, in MB (``VmRSS``; ``RssAnon``: its private memory,
    without mapped files such as SQLite's memory-mapped database pages); 0 once it has gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pss_mb(pid: int) -> float:
    """A process's proportional share of memory, in MB: each page shared with other processes (a
    worker forked from another) counts its share once, where summing RSS counts it in each; 0 once
    it has gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU used so far by these processes (those gone count nothing)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += _stat(pid)[1]
    return total


def row(name: str, result: Mapping[str, float], floor: Mapping[str, float] | None = None) -> str:
    ratio = f"{result['rps'] / floor['rps']:.0%}" if floor else "-"
    return (f"| {name} | {result['rps']:,.0f} | {result['p50_ms']:.2f} | {result['p99_ms']:.2f} | {ratio} | "
            f"{int(result['errors'] + result['non2xx'])} |")


TABLE_HEAD = ("| what | req/s | p50 ms | p99 ms | of floor | errors |\n"
              "|---|---|---|---|---|---|")
ROUNDS_HEAD = ("| what | req/s | p50 ms | p99 ms | × strict floor: median (each round) | errors |\n"
               "|---|---|---|---|---|---|")


def _median(results: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


def report(runs: Rounds) -> None:
    """Print the Markdown table of medians over the rounds: the floors, then each endpoint with its
    median ratio to the strict floor and the ratio of every round; then one summary line each."""
    print(ROUNDS_HEAD)
    for c in runs.connections:
        for name, label in FLOOR_NAMES.items():
            print(row(f"{label}, {c} conn", _median(runs.floors[name][c])))
        for name in runs.ours:
            ratios = runs.ratios(name, c)
            r = _median(runs.ours[name][c])
            print(f"| {name}, {c} conn | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                  f"{statistics.median(ratios):.2f}× ({', '.join(f'{x:.2f}' for x in ratios)}) | "
                  f"{int(sum(x['errors'] + x['non2xx'] for x in runs.ours[name][c]))} |")
    print()
    for c in runs.connections:
        for name in runs.ours:
            r = _median(runs.ours[name][c])
            print(f"{name} @{c}: {statistics.median(runs.ratios(name, c)):.2f}× the strict floor, "
                  f"{statistics.median(runs.ratios(name, c, 'orm')):.2f}× one account-row read, "
                  f"{statistics.median(runs.ratios(name, c, 'bare')):.2f}× bare Starlette; "
                  f"p99 {r['p99_ms']:.1f} ms (median of {len(runs.ours[name][c])} rounds)")


def chinese_reviews(name: str) -> Path:
    """``../shared/corpora/zh/<name>`` (~17,000 real reviews) when present, else the project's own
    ``tests/corpus/zh/<name>``, so a clone of this repository alone can run every benchmark."""
    project = Path(__file__).resolve().parents[1]
    shared = project.parent / "shared" / "corpora" / "zh" / name
    if shared.exists():
        return shared
    print(f"(../shared/corpora/zh is absent: using tests/corpus/zh/{name}, a few hundred reviews)")
    return project / "tests" / "corpus" / "zh" / name


def small_jpeg(seed: int) -> bytes:
    """A 640x480 phone-like JPEG: a colour field with a block, different for every seed."""
    from PIL import Image, ImageDraw

    rnd = random.Random(seed)
    image = Image.new("RGB", (640, 480), (rnd.randrange(150, 240), rnd.randrange(120, 200), rnd.randrange(100, 180)))
    x, y = rnd.randrange(0, 500), rnd.randrange(0, 340)
    ImageDraw.Draw(image).rectangle((x, y, x + 140, y + 140), fill=(rnd.randrange(256), 60, 60))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
