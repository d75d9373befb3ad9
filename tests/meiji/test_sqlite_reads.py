"""On the embedded default, reads outside a transaction take the reader connection: they see every
committed write, never a transaction still open, and never wait for one."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from tortoise.transactions import in_transaction

from content.models import Diary
from kernel import db
from tests.conftest import AppFactory, base_settings, sign_up

AT = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


async def _diary(title: str) -> Diary:
    return await Diary.create(title=title, procedure="shuang-yan-pi", operated_on=date(2026, 10, 1), author_id=1,
                              anonymous=False, popularity=1.0, before_media_ids=[], created_at=AT, updated_at=AT)


def test_reads_see_commits_and_do_not_wait_for_an_open_transaction(tmp_path: Path, sqlite_url: str) -> None:
    async def run() -> None:
        await db.open_database(base_settings(tmp_path, database_url=sqlite_url))
        try:
            first = await _diary("割双眼皮第一天，眼睛肿得睁不开")
            # A write that has returned is read back at once, by the reader connection.
            assert (await Diary.get(id=first.id)).title == "割双眼皮第一天，眼睛肿得睁不开"
            assert db.connection()._reader is not None  # type: ignore[attr-defined]

            inside = asyncio.Event()
            release = asyncio.Event()

            async def writer() -> int:
                async with in_transaction():
                    second = await _diary("热玛吉做完一个月，法令纹浅了")
                    # Inside its transaction the writer sees its own row.
                    assert await Diary.filter(id=second.id).exists()
                    inside.set()
                    await release.wait()
                    return second.id

            task = asyncio.create_task(writer())
            await inside.wait()
            # The transaction holds the write connection: a read outside it answers without
            # waiting, and does not see the row before the commit.
            titles = await asyncio.wait_for(Diary.all().values_list("title", flat=True), timeout=2)
            assert titles == ["割双眼皮第一天，眼睛肿得睁不开"]
            release.set()
            second_id = await task
            assert await Diary.filter(id=second_id).exists()
            # A transaction that fails leaves nothing for the reader to see.
            try:
                async with in_transaction():
                    await _diary("玻尿酸填充苹果肌，第三天消肿")
                    raise RuntimeError("the upload failed midway")
            except RuntimeError:
                pass
            assert await Diary.all().count() == 2
        finally:
            await db.close_database()

    asyncio.run(run())


def test_writes_wait_for_another_process_s_lock_without_stalling_the_loop(tmp_path: Path, sqlite_url: str) -> None:
    """Another process holds the write lock for a while: a single write, a batch (``bulk_create``) and a
    transaction all wait for it and succeed, and the event loop keeps running meanwhile."""

    async def run() -> None:
        await db.open_database(base_settings(tmp_path, database_url=sqlite_url))
        path = sqlite_url.removeprefix("sqlite://")
        try:
            for write in ("one", "batch", "transaction"):
                other = sqlite3.connect(path, isolation_level=None)
                other.execute("BEGIN IMMEDIATE")  # as a CLI command writing beside the server would
                ticks = 0

                async def ticker() -> None:
                    nonlocal ticks
                    while True:
                        await asyncio.sleep(0.01)
                        ticks += 1

                async def release(holder: sqlite3.Connection) -> None:
                    await asyncio.sleep(0.3)
                    holder.execute("COMMIT")

                beat = asyncio.create_task(ticker())
                freed = asyncio.create_task(release(other))
                if write == "one":
                    await _diary("埋线双眼皮，医生很耐心")
                elif write == "batch":
                    await Diary.bulk_create([Diary(
                        title=f"水光针第{i}次，皮肤亮了一些", procedure="shui-guang-zhen",
                        operated_on=date(2026, 10, 1), author_id=1, anonymous=False, popularity=1.0,
                        before_media_ids=[], created_at=AT, updated_at=AT) for i in range(3)])
                else:
                    async with in_transaction():
                        await _diary("热玛吉第二天，脸有点红")
                await freed
                beat.cancel()
                other.close()
                # The write waited for the other lock (0.3 s) while the loop kept ticking.
                assert ticks >= 10, (write, ticks)
            assert await Diary.all().count() == 5
        finally:
            await db.close_database()

    asyncio.run(run())


def test_writes_waiting_for_another_process_hold_nothing_of_this_one(tmp_path: Path, sqlite_url: str) -> None:
    """Ten writes of this process meet another process's write lock: while they wait, none holds the
    process's connection lock (a wait that held it queued every other write behind it, each then a
    turn of the event loop to start), and once the lock is free every one of them lands."""

    async def run() -> None:
        await db.open_database(base_settings(tmp_path, database_url=sqlite_url))
        path = sqlite_url.removeprefix("sqlite://")
        client = db.connection()
        try:
            other = sqlite3.connect(path, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")  # a cron job's transaction, beside the server

            async def one(n: int) -> None:
                await _diary(f"第{n}篇：眼综合术后一周，拆线了")

            async def in_one_transaction(n: int) -> None:
                async with in_transaction():
                    await _diary(f"第{n}篇：隆鼻三个月，鼻头自然多了")

            writes = [asyncio.create_task(one(n) if n % 2 else in_one_transaction(n)) for n in range(10)]
            held = []
            for _ in range(20):  # 0.2 s of waiting, looked at every 10 ms
                await asyncio.sleep(0.01)
                held.append(client._lock.locked())  # type: ignore[attr-defined]
            assert not any(held)
            assert not any(task.done() for task in writes)
            other.execute("COMMIT")
            other.close()
            await asyncio.wait_for(asyncio.gather(*writes), timeout=5)
            assert await Diary.all().count() == 10
        finally:
            await db.close_database()

    asyncio.run(run())


def test_a_write_that_waits_past_the_busy_timeout_is_told_to_retry_and_leaves_nothing(
        make_client: AppFactory, sqlite_url: str) -> None:
    """A cron job holds the write lock longer than ``busy_timeout`` (300 ms here): the member's edit
    is answered 503 with Retry-After, as in any database outage, and changed nothing; once the job
    commits, the same edit goes through, and reads answered all along."""
    with make_client(database_url=f"{sqlite_url}?busy_timeout=300&synchronous=NORMAL") as client:
        member = sign_up(client)
        path = sqlite_url.removeprefix("sqlite://")
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            r = client.patch("/v1/me", json={"bio": "做完热玛吉三个月，想分享一下感受"}, headers=member.headers)
            assert r.status_code == 503, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert r.headers["retry-after"] == "5"
            me = client.get("/v1/me", headers=member.headers)
            assert me.status_code == 200 and me.json()["bio"] in (None, "")
        finally:
            other.execute("COMMIT")
            other.close()
        r = client.patch("/v1/me", json={"bio": "做完热玛吉三个月，想分享一下感受"}, headers=member.headers)
        assert r.status_code == 200, r.text
        assert client.get("/v1/me", headers=member.headers).json()["bio"] == "做完热玛吉三个月，想分享一下感受"


def test_both_connections_keep_the_database_s_pages_in_a_bounded_cache_not_a_map(tmp_path: Path,
                                                                                   sqlite_url: str) -> None:
    """Pages the data adds never grow the server's memory past two caches of 16 MB: a memory map grew
    its RSS with the file (bench/README.md, 2026-12-01)."""
    async def run() -> None:
        await db.open_database(base_settings(tmp_path, database_url=sqlite_url))
        try:
            await _diary("水光针打完第三天，皮肤透亮了")
            assert await Diary.all().count() == 1  # a read outside a transaction opens the reader
            reader: sqlite3.Connection = db.connection()._reader  # type: ignore[attr-defined]
            assert reader.execute("PRAGMA cache_size").fetchone()[0] == -16000
            assert reader.execute("PRAGMA mmap_size").fetchone()[0] == 0
            for pragma, value in (("cache_size", -16000), ("mmap_size", 0)):  # the writer's connection
                _, rows = await db.connection().execute_query(f"PRAGMA {pragma}")
                assert list(rows[0]) == [value]
        finally:
            await db.close_database()

    asyncio.run(run())
