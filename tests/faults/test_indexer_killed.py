"""``meiji index run`` is killed with SIGKILL in the middle of a large outbox and started again: the
index converges to the database (every published question found by its own word, edits and
deletions applied, nothing pending), on PostgreSQL search with the server's own indexer off."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx2 as httpx
import pytest

from tests.faults.conftest import Cluster
from tests.faults.live import cli, environment, meiji_exe, member, question, search_ids, serving

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def sql(url: str, query: str, *args: Any) -> Any:
    async def run() -> Any:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetchval(query, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def test_an_indexer_killed_mid_batch_and_started_again_converges(cluster: Cluster, tmp_path: Path) -> None:
    database = cluster.database()
    data = tmp_path / "data"
    extra = {"MEIJI_DATABASE_URL": database, "MEIJI_SEARCH_URL": "postgres", "MEIJI_BACKGROUND": "false"}
    env = environment(data, extra)
    cli(env, "db", "migrate")
    with serving(data, extra) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        asker = member(server.url, "想做双眼皮的小白")
        ids: dict[str, str] = {}
        for n in range(30):
            r = http.post("/v1/questions", json=question(f"i0x{n:04d}", n), headers=asker)
            assert r.status_code == 201, r.text
            ids[f"i0x{n:04d}"] = str(r.json()["id"])
        deleted = {word: ids.pop(word) for word in list(ids)[:4]}
        for question_id in deleted.values():
            assert http.delete(f"/v1/questions/{question_id}", headers=asker).status_code == 204
        # A large outbox, several batches long: each question changed again and again (as edits,
        # likes and answers would enqueue it), which an indexer replays idempotently.
        sql(database, "INSERT INTO search_outbox (doc_type, doc_id, created_at, done) "
                      "SELECT 'question', id::text, now(), false FROM content_question, generate_series(1, 200)")
        total = sql(database, "SELECT count(*) FROM search_outbox")
        assert total > 1000

        log = (tmp_path / "indexer.log").open("w")
        indexer = subprocess.Popen([meiji_exe(), "index", "run"], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            # SIGKILL as soon as its first batch is committed: the next one is under way.
            deadline = time.monotonic() + 120
            while sql(database, "SELECT count(*) FROM search_outbox WHERE done") == 0:
                assert indexer.poll() is None and time.monotonic() < deadline, (tmp_path / "indexer.log").read_text()
                time.sleep(0.02)
            indexer.send_signal(signal.SIGKILL)
        finally:
            indexer.wait(10)
            log.close()
        assert sql(database, "SELECT count(*) FROM search_outbox WHERE NOT done") > 0, "the indexer finished too soon"

        # While no indexer runs, members edit: the titles of five questions change words.
        renamed: dict[str, str] = {}
        for n, word in enumerate(list(ids)[:5]):
            r = http.patch(f"/v1/questions/{ids[word]}", json={"title": f"i1x{n:04d}：已解决，谢谢大家的建议",
                                                                   "body": "<p>已经完全消肿，恢复得很自然。</p>"},
                           headers=asker)
            assert r.status_code == 200, r.text
            renamed[word] = f"i1x{n:04d}"

        out = cli(env, "index", "run", "--once")
        assert "indexed" in out
        assert sql(database, "SELECT count(*) FROM search_outbox WHERE NOT done") == 0

        # Converged: each published question is found by its current word and only by it; deleted
        # questions and old titles are found by nobody.
        for word, question_id in ids.items():
            current = renamed.get(word, word)
            assert search_ids(http, current) == [question_id], current
            if word in renamed:
                assert search_ids(http, word) == [], word
        for word in deleted:
            assert search_ids(http, word) == [], word
        stored = sql(database, "SELECT count(*) FROM content_question WHERE status = 'published'")
        r = http.get("/v1/search", params={"q": "双眼皮", "type": "question", "limit": 50})
        assert stored == len(ids)
        assert r.status_code == 200 and r.json()["total"] == stored - len(renamed)
