"""Start-up of the embedded default: migrations kept out of the server process, the allocator's cap."""

from __future__ import annotations

import asyncio
import platform
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from kernel import db
from meiji import allocator
from meiji.app import create_app
from tests.conftest import base_settings, sign_up


def test_a_fresh_embedded_database_is_migrated_before_the_first_request(tmp_path: Path) -> None:
    settings = base_settings(tmp_path)
    waiting = asyncio.run(db.pending(settings))
    assert "meiji.0001_initial" in waiting and any(name.startswith("content.") for name in waiting)
    with TestClient(create_app(settings)) as client:
        member = sign_up(client)
        assert client.get("/v1/me", headers=member.headers).json()["handle"] == member.handle
    assert asyncio.run(db.pending(settings)) == []


def test_a_failed_migration_stops_start_up_with_the_child_s_error(tmp_path: Path) -> None:
    (tmp_path / "blocked").write_text("a file where the database's directory should be")
    settings = base_settings(tmp_path, database_url=f"sqlite://{tmp_path / 'blocked' / 'meiji.sqlite3'}")
    with pytest.raises(RuntimeError, match="meiji db migrate failed"):
        asyncio.run(db.migrate_apart(settings))


def test_the_arena_cap_leaves_an_operator_s_setting_alone() -> None:
    assert allocator.limit_arenas({"MALLOC_ARENA_MAX": "4"}) is False
    if platform.libc_ver()[0] == "glibc":
        assert allocator.limit_arenas({}) is True
