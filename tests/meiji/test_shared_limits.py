"""Rate limits on PostgreSQL are one window for every process; the embedded default keeps them in memory.

A second app process is played by a fresh limiter object: it shares nothing with the first but
the database, as a worker on another host would.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from kernel import db
from kernel.settings import RateLimit
from kernel.web.models import RateWindow
from kernel.web.ratelimit import RateLimiter, SharedRateLimiter
from meiji.app import create_app
from meiji.services import app_services
from tests.conftest import PASSWORD, base_settings, fresh_pg_url
from tests.servers import Postgres

LIMITS = {"signup": RateLimit(2, 3600)}
_handles = itertools.count(1)


@pytest.fixture
def limited(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    settings = base_settings(tmp_path, database_url=database_url, rate_limits=LIMITS)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def signup(client: TestClient) -> int:
    r = client.post("/v1/accounts", json={"handle": f"做过鼻综合的{next(_handles)}", "password": PASSWORD,
                                          "birth_date": "1993-11-02"})
    assert r.status_code in (201, 429), r.text
    return r.status_code


def as_another_process(client: TestClient) -> None:
    """Give the app the limiter a newly started process would have."""
    services = app_services(client.app.state)  # type: ignore[attr-defined]
    fresh = type(services.rate_limiter)(services.settings.rate_limits)
    client.app.state.services = dataclasses.replace(services, rate_limiter=fresh)  # type: ignore[attr-defined]


def test_a_limit_met_in_one_process_holds_in_the_next_on_postgresql(limited: TestClient) -> None:
    assert [signup(limited) for _ in range(2)] == [201, 201]
    as_another_process(limited)
    if db.is_sqlite(app_services(limited.app.state).settings):  # type: ignore[attr-defined]
        # The embedded default runs one process; its windows are that process's.
        assert isinstance(app_services(limited.app.state).rate_limiter, RateLimiter)  # type: ignore[attr-defined]
        assert signup(limited) == 201
        return
    r = limited.post("/v1/accounts", json={"handle": "又一个新账号", "password": PASSWORD, "birth_date": "1993-11-02"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert r.headers["content-type"].startswith("application/problem+json") and "signup" in r.json()["detail"]
    # Members already signed up are untouched: they sign in and read.
    assert limited.get("/v1/diaries").status_code == 200


@pytest.mark.postgres
def test_concurrent_hits_from_many_processes_are_each_counted_once(tmp_path: Path, pg: Postgres,
                                                                    pg_template: str) -> None:
    settings = base_settings(tmp_path, database_url=fresh_pg_url(pg, pg_template))
    limit = RateLimit(50, 3600)

    async def play() -> tuple[list[int | None], int]:
        await db.open_database(settings)
        try:
            # Eight processes' limiters, 80 hits at once on one key: 50 fit, 30 are refused.
            limiters = [SharedRateLimiter({"login": limit}) for _ in range(8)]
            answers = await asyncio.gather(*(limiters[n % 8].take("login", "203.0.113.7", limit) for n in range(80)))
            other = await limiters[0].take("login", "198.51.100.9", limit)
            assert other is None  # another address has its own window
            rows: list[int] = await RateWindow.filter(key="203.0.113.7").values_list("n", flat=True)  # type: ignore[assignment]
            # Ended windows are deleted by the scheduler's round, current ones kept.
            assert await limiters[0].forget_expired() == 0
            return list(answers), int(sum(rows))
        finally:
            await db.close_database()

    answers, counted = asyncio.run(play())
    assert sum(1 for a in answers if a is None) == 50
    assert all(a is not None and 1 <= a <= 3600 for a in answers if a is not None)
    # Every hit that fit was counted, plus the refused ones a limiter sent before it knew the window full.
    assert 51 <= counted <= 80


@pytest.mark.postgres
def test_a_process_that_saw_a_window_full_refuses_without_asking_again(tmp_path: Path, pg: Postgres,
                                                                        pg_template: str) -> None:
    settings = base_settings(tmp_path, database_url=fresh_pg_url(pg, pg_template))
    limit = RateLimit(3, 3600)

    async def play() -> tuple[list[int | None], int, int | None]:
        await db.open_database(settings)
        try:
            flooded = SharedRateLimiter({"login": limit})
            answers = [await flooded.take("login", "203.0.113.7", limit) for _ in range(20)]
            counted = await RateWindow.get(key="203.0.113.7").values_list("n", flat=True)
            # Another process, which never saw it full, asks the database and is refused too.
            other = await SharedRateLimiter({"login": limit}).take("login", "203.0.113.7", limit)
            return answers, int(counted), other  # type: ignore[call-overload]
        finally:
            await db.close_database()

    answers, counted, other = asyncio.run(play())
    assert answers[:3] == [None, None, None] and all(a is not None for a in answers[3:])
    assert counted == 4  # three that fit and the first refused one; the other sixteen stayed in the process
    assert other is not None


@pytest.mark.postgres
def test_ended_windows_are_deleted(tmp_path: Path, pg: Postgres, pg_template: str) -> None:
    settings = base_settings(tmp_path, database_url=fresh_pg_url(pg, pg_template))
    limit = RateLimit(5, 60)
    moment = [1_800_000_000.0]

    async def play() -> tuple[int, int, int | None]:
        await db.open_database(settings)
        try:
            limiter = SharedRateLimiter({"login": limit}, clock=lambda: moment[0])
            for _ in range(5):
                await limiter.take("login", "203.0.113.7", limit)
            full = await limiter.take("login", "203.0.113.7", limit)
            moment[0] += 61
            deleted = await limiter.forget_expired()
            # The next window starts empty.
            return deleted, await RateWindow.all().count(), full
        finally:
            await db.close_database()

    deleted, left, full = asyncio.run(play())
    assert full is not None and deleted == 1 and left == 0
