"""PostgreSQL restarts under write load: requests during the outage fail at once with 503 problem+json
(never 500, never hanging), the server recovers by itself, nothing is half-written, and no broken
connection is left in its pool afterwards."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from meiji.app import create_app
from tests.conftest import base_settings, fresh_pg_url, sign_up
from tests.faults.conftest import Cluster
from tests.faults.live import cli, environment, member, question, search_ids, serving
from tests.servers import Postgres

pytestmark = pytest.mark.postgres

WORD = re.compile(r"^(p\d+x\d{4})：")


class Load:
    def __init__(self) -> None:
        self.acked: dict[str, str] = {}  # word -> question id
        self.answers: list[tuple[str, int, str]] = []  # (method, status, content type)
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def record(self, method: str, r: httpx.Response) -> None:
        with self.lock:
            self.answers.append((method, r.status_code, r.headers.get("content-type", "")))

    def unavailable(self) -> int:
        with self.lock:
            return sum(1 for _, status, _ in self.answers if status == 503)


def write(url: str, headers: dict[str, str], writer: int, load: Load) -> None:
    # A hanging request fails the test through this timeout: "fail fast" means well within it.
    with httpx.Client(base_url=url, timeout=15) as http:
        n = 0
        while not load.stop.is_set():
            word = f"p{writer}x{n:04d}"
            n += 1
            try:
                r = http.post("/v1/questions", json=question(word, n), headers=headers)
            except httpx.HTTPError as exc:
                load.errors.append(f"POST: {type(exc).__name__}")
                continue
            load.record("POST", r)
            if r.status_code == 201:
                with load.lock:
                    load.acked[word] = str(r.json()["id"])
            time.sleep(0.02)


def read(url: str, load: Load) -> None:
    with httpx.Client(base_url=url, timeout=15) as http:
        while not load.stop.is_set():
            for path in ("/v1/questions?limit=5", "/v1/search?q=%E5%8F%8C%E7%9C%BC%E7%9A%AE"):
                try:
                    r = http.get(path)
                except httpx.HTTPError as exc:
                    load.errors.append(f"GET: {type(exc).__name__}")
                    continue
                load.record("GET", r)
            time.sleep(0.02)


def stored_questions(url: str) -> dict[str, str]:
    async def fetch() -> list[Any]:
        conn = await asyncpg.connect(url)
        try:
            return list(await conn.fetch("SELECT id, title FROM content_question WHERE status = 'published'"))
        finally:
            await conn.close()

    return {WORD.match(row["title"]).group(1): str(row["id"])  # type: ignore[union-attr]
            for row in asyncio.run(fetch())}


@pytest.mark.slow
def test_a_postgresql_restart_under_writes_answers_503_then_recovers_with_nothing_half_written(
        cluster: Cluster, tmp_path: Path) -> None:
    database = cluster.database()
    # Rate limits on (their windows live in PostgreSQL too), high enough for this load.
    extra = {"MEIJI_DATABASE_URL": database, "MEIJI_SEARCH_URL": "postgres",
             "MEIJI_RATE_LIMITS": "ip=100000/300,token=100000/300,post=100000/86400,post_new=100000/86400"}
    cli(environment(tmp_path / "data", extra), "db", "migrate")
    load = Load()
    with serving(tmp_path / "data", extra) as server:
        people = [member(server.url, f"求美者{i}") for i in range(3)]
        threads = [threading.Thread(target=write, args=(server.url, people[i], i, load)) for i in range(3)]
        threads.append(threading.Thread(target=read, args=(server.url, load)))
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(load.acked) < 15 and time.monotonic() < deadline:
            time.sleep(0.05)

        cluster.stop()
        # Requests keep coming during the outage; each is answered (503) rather than left hanging.
        deadline = time.monotonic() + 60
        while load.unavailable() < 12 and time.monotonic() < deadline:
            time.sleep(0.05)
        during = load.unavailable()
        cluster.start()

        # It recovers by itself: the writers' requests succeed again without a restart of the server.
        acked_before = len(load.acked)
        deadline = time.monotonic() + 60
        while len(load.acked) < acked_before + 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        load.stop.set()
        for thread in threads:
            thread.join(30)

        assert not load.errors, (load.errors[:10], server.log.read_text()[-4000:])
        statuses = Counter((method, status) for method, status, _ in load.answers)
        assert set(statuses) <= {("POST", 201), ("GET", 200), ("POST", 503), ("GET", 503)}, statuses
        assert during >= 12, statuses
        assert all(kind.startswith("application/problem+json") for _, status, kind in load.answers if status == 503)
        assert len(load.acked) >= acked_before + 10, "the server did not recover after PostgreSQL came back"

        # No connection of the pool stays broken: a burst of reads and writes after recovery all succeed.
        def one(n: int) -> int:
            with httpx.Client(base_url=server.url, timeout=15) as http:
                if n % 2:
                    return http.get("/v1/questions?limit=20").status_code
                return http.post("/v1/questions", json=question(f"p9x{n:04d}", n), headers=people[n % 3]).status_code

        with ThreadPoolExecutor(8) as pool:
            burst = Counter(pool.map(one, range(60)))
        assert burst == Counter({200: 30, 201: 30}), burst
        assert server.process.poll() is None

        # Nothing half-written: every acknowledged question is there, and every question in the
        # database reached search (its outbox row was committed with it).
        stored = stored_questions(database)
        assert set(load.acked) <= set(stored)
        with httpx.Client(base_url=server.url, timeout=15) as http:
            for word, question_id in load.acked.items():
                r = http.get(f"/v1/questions/{question_id}")
                assert r.status_code == 200 and word in r.json()["title"], r.text
            missing = dict(stored)
            deadline = time.monotonic() + 60
            while missing and time.monotonic() < deadline:
                missing = {word: i for word, i in missing.items() if search_ids(http, word) != [i]}
                if missing:
                    time.sleep(0.5)
        assert not missing, f"{len(missing)} of {len(stored)} questions not in search: {list(missing)[:5]}"


def test_connections_the_database_ends_answer_503_once_and_the_pool_reconnects(
        pg: Postgres, pg_template: str, tmp_path: Path) -> None:
    """An administrator (or a failover) ends every session of the app: requests on the dead
    connections answer 503 problem+json, never 500, and the next ones work on new connections."""
    url = fresh_pg_url(pg, pg_template)
    with TestClient(create_app(base_settings(tmp_path, database_url=url)), raise_server_exceptions=False) as client:
        asker = sign_up(client)
        r = client.post("/v1/questions", json=question("t0x0001", 1), headers=asker.headers)
        assert r.status_code == 201, r.text
        name = url.rsplit("/", 1)[1]

        async def end_sessions() -> int:
            conn = await asyncpg.connect(pg.url("postgres"))
            try:
                ended: int = await conn.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1", name)
                return ended
            finally:
                await conn.close()

        assert asyncio.run(end_sessions()) > 0
        answers = [client.post("/v1/questions", json=question(f"t1x{n:04d}", n), headers=asker.headers)
                   for n in range(12)]
        statuses = Counter(r.status_code for r in answers)
        assert set(statuses) <= {201, 503}, statuses
        assert all(r.headers["content-type"].startswith("application/problem+json") and r.headers["retry-after"]
                   for r in answers if r.status_code == 503)
        # Every connection the pool held was dead; each is replaced, and then everything works.
        assert [client.get("/v1/questions", params={"limit": 5}).status_code for _ in range(5)] == [200] * 5
        r = client.post("/v1/questions", json=question("t2x0001", 2), headers=asker.headers)
        assert r.status_code == 201, r.text
        # What was acknowledged is there for others to read; what answered 503 is not half there.
        other = sign_up(client)
        listed = {item["title"][:7] for item in
                  client.get("/v1/questions", params={"limit": 50}, headers=other.headers).json()["items"]}
        acknowledged = {f"t1x{n:04d}" for n, r in enumerate(answers) if r.status_code == 201}
        assert acknowledged | {"t0x0001", "t2x0001"} <= listed
