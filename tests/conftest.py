"""Fixtures shared by every room's tests.

``client`` is the app on SQLite with in-memory storage and search (fast); ``db_client`` runs the
same test on SQLite and on a throwaway PostgreSQL cluster started from the installed binaries.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from starlette.testclient import TestClient

from kernel import db
from kernel.settings import Settings
from meiji.app import create_app
from tests import logscan
from tests.servers import Postgres, S3Server, moto_server, postgres_bin, postgres_cluster

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPORA = SHARED / "corpora"


def base_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": f"sqlite://{tmp_path / 'meiji.sqlite3'}",
        "storage_url": "memory://",
        "search_url": "memory://",
        "rate_limits": None,
        "background": False,
        # Tests move the clock by weeks; sessions ending when idle have their own test.
        "session_idle_days": 3650,
        # Members made a moment ago hide posts on reports, as they did before reporter weight;
        # tests/moderation/test_weights.py checks the weights with the real default.
        "reporter_min_age_days": 0,
        # Legal periods on the plain clock, so moving it 16 days passes a 15-day wait whatever the
        # weekday; tests/moderation/test_calendar.py checks China's statutory calendar, the default.
        "legal_calendar": "none",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: tests sign up many members; tests/meiji checks the real ones."""
    from argon2 import PasswordHasher

    from meiji.accounts import services

    monkeypatch.setattr(services, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


# --- logs ------------------------------------------------------------------------------------

def pytest_configure(config: pytest.Config) -> None:
    """Write the session's logs to a file, searched for secrets when the session ends (tests/logscan.py)."""
    logscan.start(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist, as each worker starts: where it writes its share of the session's logs."""
    logscan.hand_to_worker(node.config, node.workerinput)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    logscan.finish(session)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow group first (stable otherwise): with one worker per core, the long tests start early
    and the short ones fill in around them, instead of one worker finishing the last long test alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# --- databases -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with every migration applied, copied for each test."""
    root = tmp_path_factory.mktemp("sqlite-template")
    settings = base_settings(root)
    asyncio.run(db.migrate(settings))
    return root / "meiji.sqlite3"


@pytest.fixture(scope="session")
def pg() -> Iterator[Postgres]:
    if postgres_bin() is None:
        pytest.skip("PostgreSQL binaries are not installed (/usr/lib/postgresql/*/bin): "
                    "the production database path is NOT tested on this machine")
    with postgres_cluster() as cluster:
        yield cluster


async def _admin(pg: Postgres, sql: str) -> None:
    conn = await asyncpg.connect(pg.url("postgres"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_template(pg: Postgres, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database with every migration applied, the template of each test's database."""
    asyncio.run(_admin(pg, "CREATE DATABASE meiji_template"))
    settings = base_settings(tmp_path_factory.mktemp("pg-template"), database_url=pg.url("meiji_template"))
    asyncio.run(db.migrate(settings))
    return "meiji_template"


_counter = itertools.count()


def fresh_pg_url(pg: Postgres, template: str) -> str:
    name = f"t_{next(_counter)}"
    asyncio.run(_admin(pg, f"CREATE DATABASE {name} TEMPLATE {template}"))
    return pg.url(name)


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "meiji.sqlite3"
    shutil.copy(sqlite_template, target)
    return f"sqlite://{target}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """Each test that asks for it runs twice: on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        target = tmp_path / "meiji.sqlite3"
        shutil.copy(sqlite_template, target)
        return f"sqlite://{target}"
    pg: Postgres = request.getfixturevalue("pg")
    template: str = request.getfixturevalue("pg_template")
    return fresh_pg_url(pg, template)


# --- object storage --------------------------------------------------------------------------

@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server in its own process on 127.0.0.1."""
    with moto_server() as server:
        yield server


# --- the app ---------------------------------------------------------------------------------

AppFactory = Callable[..., AbstractContextManager[TestClient]]


@pytest.fixture
def make_client(tmp_path: Path, sqlite_url: str) -> AppFactory:
    """``with make_client(**settings) as client:`` an app with some settings replaced."""

    @contextmanager
    def factory(**overrides: Any) -> Iterator[TestClient]:
        overrides.setdefault("database_url", sqlite_url)
        settings = base_settings(tmp_path, **overrides)
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            yield client

    return factory


@pytest.fixture
def client(make_client: AppFactory) -> Iterator[TestClient]:
    with make_client() as c:
        yield c


@pytest.fixture
def db_client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    settings = base_settings(tmp_path, database_url=database_url)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


# --- members ---------------------------------------------------------------------------------

@dataclass
class Member:
    id: str
    handle: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


_handles = itertools.count(1)
PASSWORD = "美记-test-password"


def sign_up(client: TestClient, role: str = "member", handle: str | None = None,
            birth_date: str = "1994-05-20") -> Member:
    """A new member through the API; other roles are granted directly, as an admin would."""
    handle = handle or f"用户{next(_handles)}"
    r = client.post("/v1/accounts", json={"handle": handle, "password": PASSWORD, "birth_date": birth_date})
    assert r.status_code == 201, r.text
    account_id = r.json()["id"]
    if role != "member":
        from meiji.accounts import services

        portal = client.portal
        assert portal is not None
        portal.call(services.set_role, account_id, role)
    r = client.post("/v1/sessions", json={"handle": handle, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return Member(account_id, handle, r.json()["token"])


@pytest.fixture
def member(client: TestClient) -> Member:
    return sign_up(client)


# --- media -----------------------------------------------------------------------------------

_media_ids = itertools.count(1)


def photo_bytes(width: int = 640, height: int = 480, color: tuple[int, int, int] = (220, 180, 160)) -> bytes:
    """A small real JPEG, made with Pillow."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def upload(client: TestClient, member: Member, purpose: str = "post") -> str:
    """An uploaded photo of ``member``'s, through ``POST /v1/media`` (or the in-memory stand-in)."""
    from media.memory import MemoryAttachments

    media = client.app.state.services.media  # type: ignore[attr-defined]
    if isinstance(media, MemoryAttachments):
        media_id = f"m{next(_media_ids)}"
        media.add(media_id, int(member.id), purpose)
        return media_id
    r = client.post("/v1/media", files={"file": ("photo.jpg", photo_bytes(), "image/jpeg")},
                    data={"purpose": purpose}, headers=member.headers)
    assert r.status_code == 201, r.text
    media_id: str = r.json()["id"]
    return media_id
