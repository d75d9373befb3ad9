"""Where an app process's event loop spends its time under load, sampled from outside with py-spy.

The in-process profiles (``bench/profiles.py``) measure one request at a time on an idle machine.
Under load the same work costs more (SQLite's page cache starts cold after every write another
connection commits, the CPU caches hold other requests' data), and what waits for the loop shows only
there. ``bench/mixed.py --profile`` records the server's main threads (each runs one event loop)
for the measured time and prints the loop's time by route and by layer.

py-spy reads the process's memory from outside, pausing it for each sample so that every stack is
read whole (without pausing, a fifth of the stacks came back cut short). At 100 samples a second
that slows the server by about a percent or two, and py-spy itself takes a fifth of a core: a run
with ``--profile`` serves a little less than one without. It needs ptrace rights on the server
(root, or ``kernel.yama.ptrace_scope`` 0); without them, or without py-spy, the run says so and
goes on.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import PYTHON

RATE = 100  # samples a second
# The frame that runs a route's handler, and the handler's own frame: the first after it in a room's routes.
ANSWER = "_answer (kernel/web/endpoints.py"
HANDLER = re.compile(r"^(\w+) \((?:content|search|media|moderation|meiji)/(?:[\w/]*/)?routes?[\w/]*\.py:\d+\)$")
# Each sample's layer: the first rule whose pattern is found in the sample's last frame (or, where
# the rule says so, in any of its frames) wins.
_RULES = (
    ("the database (SQLite on the loop's thread, asyncpg)", r"\(kernel/sqlite\.py|\(asyncpg/", True),
    ("the search engine (tantivy's calls)", r"\._find_here \(search/", False),
    ("sending responses (uvicorn, sockets)", r"\(uvicorn/protocols/http/", False),
    ("JSON out (orjson) and validation in (pydantic)",
     r"^dump \(kernel/web/endpoints|\(pydantic/|\(kernel/web/bodies", False),
    ("rows decoded (kernel/rows.py)", r"\(kernel/rows\.py", False),
    ("queries built (Tortoise, PyPika)", r"\(tortoise/|\(pypika", False),
    ("search analysis and snippets", r"\(search/(analyzer|_pinyin|_fold|engine)\.py", False),
    ("the rooms' own code", r"\((content|media|moderation|meiji|search)/", False),
    ("the kernel and Starlette (routing, middleware, auth, limits)", r"\((kernel|starlette)/", False),
)
LAYERS = tuple((name, re.compile(pattern), anywhere) for name, pattern, anywhere in _RULES)
OTHER = "the rest (asyncio, the standard library, the garbage collector)"


def executable() -> str | None:
    """py-spy beside the benchmark's Python (installed with the test tools), else on PATH."""
    beside = Path(PYTHON).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def start(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    """Sample ``pid`` and its child processes (an app's workers) for ``seconds`` into ``out``."""
    spy = executable()
    if spy is None:
        return None
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds))),
                             "--rate", str(RATE), "--format", "raw", "--output", str(out), "--threads",
                             "--subprocesses"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@dataclass
class LoopProfile:
    """Samples of the app processes' main threads, by route and by layer."""

    seconds: float
    samples: int = 0
    routes: Counter[str] = field(default_factory=Counter)
    layers: Counter[str] = field(default_factory=Counter)
    by_process: Counter[str] = field(default_factory=Counter)

    def busy(self) -> list[float]:
        """The share of the measured time each serving loop ran Python (idle waits are not sampled),
        busiest first; a process that barely ran (uvicorn's supervisor) is left out."""
        expected = self.seconds * RATE
        shares = [n / expected for _, n in self.by_process.most_common()] if expected else []
        return [share for share in shares if share >= 0.05]


def read(raw: Path, seconds: float) -> LoopProfile:
    """The profile of ``raw``, py-spy's raw format: ``process …;thread (tid): name;frame;… count``,
    with a child process (a uvicorn worker) after its parent: ``process …;process …;thread …``."""
    profile = LoopProfile(seconds)
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        parts = stack.split(";")
        at = next((i for i, part in enumerate(parts) if part.startswith("thread (")), None)
        if at is None or not count.isdigit() or not parts[at].endswith(": MainThread") or at + 1 >= len(parts):
            continue
        frames = parts[at + 1:]
        n = int(count)
        profile.samples += n
        profile.by_process[parts[at - 1]] += n
        profile.routes[_route(frames)] += n
        profile.layers[_layer(frames)] += n
    return profile


def _route(frames: list[str]) -> str:
    if not frames[0].startswith("<module> "):
        # py-spy now and then reads a stack while it changes and gets its inner frames only: the
        # layer is known, the route is not.
        return "(route unknown: the stack was read in part)"
    for index, frame in enumerate(frames):
        if frame.startswith(ANSWER):
            for handler in frames[index + 1:]:
                found = HANDLER.match(handler)
                if found:
                    return found.group(1)
            return "(the request's query or body read, the answer's JSON written)"
    if any(f.startswith("resolve (kernel/web/auth.py") for f in frames):
        return "(authenticating the caller)"
    if any("kernel/web/endpoints.py" in f for f in frames):
        return "(the kernel before the handler: limits, ids)"
    if any("meiji/background.py" in f for f in frames):
        return "(background jobs: the indexer, delivery, timers)"
    if any("uvicorn/" in f or "starlette/" in f for f in frames):
        return "(HTTP: parsing, routing, middleware, sending)"
    return "(the event loop itself)"


def _layer(frames: list[str]) -> str:
    for name, pattern, anywhere in LAYERS:
        if any(pattern.search(f) for f in frames) if anywhere else pattern.search(frames[-1]):
            return name
    return OTHER


def table(profile: LoopProfile, rows: int = 12) -> str:
    """The profile as two markdown tables."""
    if not profile.samples:
        return "no samples of an event loop were taken"
    busy = ", ".join(f"{share:.0%}" for share in profile.busy())
    lines = [f"the event loop's time, sampled with py-spy ({profile.samples:,} samples at {RATE}/s over "
             f"{profile.seconds:.0f} s; share of the time each serving process's loop ran Python: {busy})",
             "", "| route or step | share of the loop's time |", "|---|---|"]
    lines += [f"| {route} | {n / profile.samples:.1%} |" for route, n in profile.routes.most_common(rows)]
    lines += ["", "| layer | share of the loop's time |", "|---|---|"]
    lines += [f"| {layer} | {n / profile.samples:.1%} |" for layer, n in profile.layers.most_common()]
    return "\n".join(lines)
