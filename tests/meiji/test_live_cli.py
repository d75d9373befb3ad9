"""Every ``meiji`` command run beside a real ``meiji serve`` on the embedded default (SQLite + tantivy).

The server is a subprocess on a free port with its own data directory, as an operator runs it;
the commands are run as cron or an operator would, while members keep using the API.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from tortoise.transactions import in_transaction

from kernel import db
from search.models import OutboxEntry
from tests.conftest import base_settings
from tests.servers import MEIJI, free_port, serving

PASSWORD = "美记-live-test-password"
# Problems that must never reach a client or a command while processes share the embedded default.
SHARING_ERRORS = ("database is locked", "Failed to acquire index lock", "LockBusy", "Traceback")


@dataclass
class Server:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """A CLI command against the server's data directory; it must leave no sharing error behind."""
        result = subprocess.run([MEIJI, *args], capture_output=True, text=True, timeout=180, env=self.env,
                                input=stdin)
        for error in SHARING_ERRORS:
            assert error not in result.stderr, (args, result.stderr)
        return result

    def until(self, check: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
        """Wait for the server to get there (the indexer applies the outbox every second)."""
        deadline = time.monotonic() + seconds
        while not check():
            assert time.monotonic() < deadline, f"the server did not get there: {what}"
            time.sleep(0.2)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    extra = {"MEIJI_RATE_LIMITS": "off", "MEIJI_COUNTER_NOTICE_WAIT_SECONDS": "1",
             # The server's own timers run once at start; the restoration below is the command's.
             "MEIJI_SCHEDULER_SECONDS": "3600"}
    with serving(tmp_path / "data", extra) as served:
        yield Server(served.url, served.env, served.process, served.log)
    log = served.log.read_text()
    for error in SHARING_ERRORS:
        assert error not in log, log


def sign_up(api: httpx.Client, handle: str) -> dict[str, str]:
    r = api.post("/v1/accounts", json={"handle": handle, "password": PASSWORD, "birth_date": "1993-03-08"})
    assert r.status_code == 201, r.text
    return sign_in(api, handle, PASSWORD)


def sign_in(api: httpx.Client, handle: str, password: str) -> dict[str, str]:
    r = api.post("/v1/sessions", json={"handle": handle, "password": password})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def found(api: httpx.Client, text: str) -> set[tuple[str, str]]:
    r = api.get("/v1/search", params={"q": text, "limit": 50})
    assert r.status_code == 200, r.text
    return {(hit["type"], hit["id"]) for hit in r.json()["items"]}


def listed(api: httpx.Client, path: str) -> list[str]:
    r = api.get(path)
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]


def queue_item(api: httpx.Client, moderator: dict[str, str], question: str) -> dict[str, Any]:
    r = api.get("/v1/moderation/queue?limit=100", headers=moderator)
    assert r.status_code == 200, r.text
    items = [i for i in r.json()["items"] if (i["target"]["type"], i["target"]["id"]) == ("question", question)]
    assert items, r.text
    item: dict[str, Any] = items[-1]
    return item


def decide(api: httpx.Client, moderator: dict[str, str], item_id: str, action: str, reason: str) -> None:
    assert api.post(f"/v1/moderation/queue/{item_id}/claim", headers=moderator).status_code == 200
    r = api.post(f"/v1/moderation/queue/{item_id}/decisions", json={"action": action, "reason": reason},
                 headers=moderator)
    assert r.status_code == 200, r.text


NOTICE = {
    "notice_type": "copyright",
    "claimant": {"name": "林晓雯", "email": "lin.xiaowen@example.cn", "phone": "+86 139-1234-5678",
                 "address": "上海市徐汇区漕溪北路88号12楼"},
    "work": {"description": "本人拍摄的术后恢复对比照，原图首发于工作室官网。",
             "original_url": "https://studio.example.cn/works/2024/0815", "proof_media_ids": []},
    "description": "该帖未经许可使用了本人拍摄的照片，请删除。",
    "good_faith": True, "accurate": True, "signature": "林晓雯",
}
COUNTER = {"statement": "照片为本人术后自拍，原图及拍摄时间可证明，不存在侵权。", "name": "王悦",
           "phone": "+86 186-0000-1111", "address": "杭州市西湖区文三路100号", "proof_media_ids": [],
           "accurate": True, "signature": "王悦"}


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def test_every_command_works_beside_a_running_server(server: Server, api: httpx.Client) -> None:
    made = server.run("accounts", "create", "值班审核员", "--role", "moderator", "--password", PASSWORD)
    assert made.returncode == 0, made.stderr
    moderator = sign_in(api, "值班审核员", PASSWORD)
    author = sign_up(api, "杭州小王")

    r = api.post("/v1/questions", json={"title": "热玛吉做完脸颊发红正常吗？",
                                        "body": "<p>昨天在杭州做的热玛吉，今天脸颊还有点发红发烫，需要冰敷吗？</p>",
                                        "anonymous": False}, headers=author)
    assert r.status_code == 201, r.text
    question = r.json()["id"]
    server.until(lambda: ("question", question) in found(api, "脸颊发红"), "the question is findable")

    # A notice takes the question down: it leaves search before the moderator's call returns.
    r = api.post("/v1/notices", json={**NOTICE, "targets": [{"type": "question", "id": question}]})
    assert r.status_code == 201, r.text
    decide(api, moderator, queue_item(api, moderator, question)["id"], "remove", "权利人提供了原图")
    assert ("question", question) not in found(api, "脸颊发红")
    assert api.get(f"/v1/questions/{question}").status_code == 451
    r = api.post(f"/v1/notices/{r.json()['case_id']}/counter-notices", json=COUNTER, headers=author)
    assert r.status_code == 201, r.text
    decide(api, moderator, queue_item(api, moderator, question)["id"], "forward_counter", "反通知要素齐全")
    time.sleep(1.5)  # the waiting period after the counter-notice is one second here

    # The public list, read twice (the second answer is the one the server kept), lacks it.
    assert question not in listed(api, "/v1/questions") and question not in listed(api, "/v1/questions")

    # The restoration cron runs beside the server: it may not open the index the server writes.
    ticked = server.run("moderation", "tick")
    assert ticked.returncode == 0, ticked.stderr
    assert "1 cases restored" in ticked.stdout
    assert api.get(f"/v1/questions/{question}").status_code == 200
    # The list the server kept before the command is not given again: the next reader sees it back.
    assert question in listed(api, "/v1/questions")
    # The server applies the outbox the command wrote: a stranger finds the question again.
    server.until(lambda: ("question", question) in found(api, "脸颊发红"), "the restored question is findable")

    for args in (["media", "sweep"], ["index", "run", "--once"], ["search", "reindex", "--quiet"], ["demo"],
                 ["db", "migrate"]):
        result = server.run(*args)
        assert result.returncode == 0, (args, result.stderr)
    again = server.run("demo")
    assert again.returncode == 0 and "already loaded" in again.stdout
    piped = server.run("accounts", "create", "周末编辑", "--role", "editor", stdin=PASSWORD + "\n")
    assert piped.returncode == 0, piped.stderr
    assert sign_in(api, "周末编辑", PASSWORD)

    # What only the owner of the index may do is refused, in words naming who owns it.
    indexer = server.run("index", "run")
    assert indexer.returncode == 2
    assert f"meiji serve (pid {server.process.pid}) owns the embedded search index" in indexer.stderr
    second = server.run("serve", "--port", str(free_port()))
    assert second.returncode == 2
    assert "one server per data directory" in second.stderr

    # The server still answers, the rebuilt index included, and the demo's posts reached it.
    assert api.get("/readyz").status_code == 200
    assert ("question", question) in found(api, "脸颊发红")
    server.until(lambda: any(kind == "diary" for kind, _ in found(api, "双眼皮")), "the demo diaries are findable")
    assert server.process.poll() is None


def test_commands_and_writes_at_once_never_fail(server: Server, api: httpx.Client) -> None:
    """Members write while every background command runs from other processes: no 5xx, no failed command."""
    members = [sign_up(api, handle) for handle in ("成都阿宁", "北京小雨", "上海Lily")]
    statuses: list[int] = []
    questions: dict[str, int] = {}  # id -> the round in its title
    stop = threading.Event()

    def write(member: dict[str, str], n: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as own:
            for i in range(n):
                if stop.is_set():
                    return
                question = {"title": f"水光针第{i}次打完多久能化妆？", "anonymous": i % 2 == 0,
                            "body": f"<p>第{i}次打水光针，针眼还有点红，第二天能化淡妆吗？</p>"}
                r = own.post("/v1/questions", json=question, headers=member)
                statuses.append(r.status_code)
                if r.status_code == 201:
                    questions[r.json()["id"]] = i
                    r = own.post(f"/v1/questions/{r.json()['id']}/answers",
                                 json={"body": "<p>一般第二天就可以化淡妆，注意清洁。</p>", "anonymous": False},
                                 headers=members[0])
                    statuses.append(r.status_code)

    # Bounded, and stopped once the commands are done, so the writes span the commands' whole run.
    writers = [threading.Thread(target=write, args=(member, 300)) for member in members]
    for writer in writers:
        writer.start()
    commands = [["moderation", "tick"], ["media", "sweep"], ["index", "run", "--once"],
                ["search", "reindex", "--quiet"]]
    try:
        running = [subprocess.Popen([MEIJI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env=server.env) for args in commands * 2]
        outcomes = [(args, process.communicate(timeout=300)[1], process.returncode)
                    for args, process in zip(commands * 2, running, strict=True)]
    finally:
        stop.set()
        for writer in writers:
            writer.join(timeout=300)
    for args, errors, code in outcomes:
        assert code == 0, (args, errors)
        for error in SHARING_ERRORS:
            assert error not in errors, (args, errors)
    assert statuses and all(status < 500 for status in statuses), statuses
    assert len(questions) >= 3

    # Everything written reaches search, whatever rebuilds ran meanwhile; the public sees each question.
    def every_question_found() -> bool:
        seen: set[str] = set()
        for i in set(questions.values()):
            seen |= {key for kind, key in found(api, f"水光针第{i}次") if kind == "question"}
        return seen >= set(questions)

    server.until(every_question_found, "every question is findable", seconds=60)


def test_a_transaction_beside_another_process_s_writer_waits_instead_of_failing(tmp_path: Path) -> None:
    """A read-then-write transaction while another process writes: one queues behind the other, none fails.

    With a deferred ``BEGIN``, the other write commits after this transaction's read and SQLite
    refuses the upgrade at once ("database is locked"); ``BEGIN IMMEDIATE`` makes the other wait.
    """
    settings = base_settings(tmp_path)
    asyncio.run(db.migrate(settings))
    other_done = threading.Event()

    def other_process_writes() -> None:
        other = sqlite3.connect(tmp_path / "meiji.sqlite3", timeout=30, isolation_level=None)
        try:
            other.execute("INSERT INTO search_outbox (doc_type, doc_id, created_at, done) "
                          "VALUES ('question', '1', '2026-11-29 12:00:00+00:00', 0)")
        finally:
            other.close()
        other_done.set()

    async def scenario() -> list[str]:
        await db.open_database(settings)
        try:
            async with in_transaction():
                assert await OutboxEntry.all().count() == 0
                writer = threading.Thread(target=other_process_writes)
                writer.start()
                writer.join(timeout=1)  # it commits now unless this transaction holds the write lock
                await OutboxEntry.create(doc_type="diary", doc_id="2")
            writer.join(timeout=30)
            assert other_done.is_set()
            return sorted(e.doc_type for e in await OutboxEntry.all())
        finally:
            await db.close_database()

    assert asyncio.run(scenario()) == ["diary", "question"]
