"""With several app processes on PostgreSQL, one runs the background jobs; another takes over when it ends."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from meiji import background
from tests.conftest import base_settings, fresh_pg_url
from tests.servers import Postgres


@pytest.mark.postgres
def test_of_several_workers_one_runs_the_timers_and_another_takes_over(tmp_path: Path, pg: Postgres,
                                                                        pg_template: str) -> None:
    settings = base_settings(tmp_path, database_url=fresh_pg_url(pg, pg_template))
    rounds = {"first": 0, "second": 0}
    enough = {name: asyncio.Event() for name in rounds}

    def job(name: str) -> background.Job:
        async def tick() -> None:
            rounds[name] += 1
            if rounds[name] >= 20:
                enough[name].set()
        return ("moderation-tick", 0.01, tick)

    async def play() -> tuple[int, int, int]:
        first = asyncio.create_task(background.run_once_among_workers(settings, [job("first")], check_seconds=0.02))
        await asyncio.sleep(0)  # the first worker asks first
        second = asyncio.create_task(background.run_once_among_workers(settings, [job("second")],
                                                                       check_seconds=0.02))
        done, _ = await asyncio.wait([asyncio.create_task(e.wait()) for e in enough.values()],
                                     timeout=60, return_when=asyncio.FIRST_COMPLETED)
        assert done, "no worker ran the jobs"
        # Whichever took the lock has run 20 rounds while the other asked for it every 0.02 s.
        leader, follower = ("first", "second") if enough["first"].is_set() else ("second", "first")
        tasks = {"first": first, "second": second}
        assert rounds[follower] == 0
        before = rounds[leader]
        # The leader's process ends (its connection closes): the other one takes the jobs over.
        tasks[leader].cancel()
        await asyncio.gather(tasks[leader], return_exceptions=True)
        stopped_at = rounds[leader]
        await asyncio.wait_for(enough[follower].wait(), timeout=60)
        tasks[follower].cancel()
        await asyncio.gather(tasks[follower], return_exceptions=True)
        return before, stopped_at, rounds[leader]

    before, stopped_at, after = asyncio.run(play())
    assert before >= 20
    # Once its process ended, the old leader ran nothing more.
    assert after == stopped_at


def test_the_embedded_default_runs_the_jobs_itself(tmp_path: Path) -> None:
    settings = base_settings(tmp_path)
    ran = asyncio.Event()

    async def tick() -> None:
        ran.set()

    async def play() -> None:
        task = asyncio.create_task(background.run_once_among_workers(settings, [("media-sweep", 0.01, tick)]))
        await asyncio.wait_for(ran.wait(), timeout=30)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(play())
    assert ran.is_set()
