"""Shared benchmark machinery: a server in its own process, wrk in another, and the two floors.

Every benchmark measures its own baseline in the same run, on the same machine, so the printed
ratios mean something even when the absolute numbers move with the hardware.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
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
          ready_path: str = "/healthz", timeout: float = 60) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run ``app`` under uvicorn (one worker, uvloop, httptools) in its own process; yields its URL."""
    port = free_port()
    args = [PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
            "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
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


@contextlib.contextmanager
def floors(data_dir: Path) -> Iterator[dict[str, str]]:
    """The two floors as URLs: a bare Starlette JSON endpoint and a single-row Tortoise read."""
    env = bench_env(data_dir)
    with serve("bench.floors:bare_app", env, factory=False, ready_path="/") as (bare, _), \
            serve("bench.floors:orm_app", env, factory=False, ready_path="/healthz") as (orm, _):
        yield {"bare": bare + "/", "orm": orm + "/row"}


def measure_floors(data_dir: Path, connections: tuple[int, ...] = (8, 64),
                   seconds: float = 5) -> dict[str, dict[int, dict[str, float]]]:
    results: dict[str, dict[int, dict[str, float]]] = {"bare": {}, "orm": {}}
    with floors(data_dir) as urls:
        for name, url in urls.items():
            for c in connections:
                results[name][c] = load(url, c, seconds)
    return results


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


def rss_mb(pid: int) -> float:
    """The resident memory of a process now (VmRSS), in MB; 0 once it has gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
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


def report(ours: Mapping[tuple[str, int], Mapping[str, float]],
           floor: Mapping[str, Mapping[int, Mapping[str, float]]], connections: tuple[int, ...]) -> None:
    """Print the Markdown table of ``ours`` beside the two floors, then one ratio line per figure."""
    print(TABLE_HEAD)
    names = list(dict.fromkeys(name for name, _ in ours))
    for c in connections:
        print(row(f"floor: bare Starlette JSON, {c} conn", floor["bare"][c]))
        print(row(f"floor: one Tortoise row read, {c} conn", floor["orm"][c]))
        for name in names:
            print(row(f"{name}, {c} conn (vs ORM floor)", ours[(name, c)], floor["orm"][c]))
    print()
    for c in connections:
        for name in names:
            r = ours[(name, c)]
            print(f"{name} @{c}: {r['rps'] / floor['bare'][c]['rps']:.0%} of bare Starlette, "
                  f"{r['rps'] / floor['orm'][c]['rps']:.0%} of one Tortoise read, p99 {r['p99_ms']:.1f} ms")


def chinese_reviews(name: str) -> Path:
    """``../shared/corpora/zh/<name>`` (~17,000 real reviews) when present, else the project's own
    ``tests/corpus/zh/<name>``, so a clone of this repository alone can run every benchmark."""
    project = Path(__file__).resolve().parents[1]
    shared = project.parent / "shared" / "corpora" / "zh" / name
    if shared.exists():
        return shared
    print(f"(../shared/corpora/zh is absent: using tests/corpus/zh/{name}, a few hundred reviews)")
    return project / "tests" / "corpus" / "zh" / name
