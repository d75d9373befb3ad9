"""A client nobody on the project wrote: schemathesis against ``/openapi.json`` of a live server.

As the public, a member, an editor and a moderator, on SQLite and on the throwaway PostgreSQL, with
examples, coverage (negative data included), fuzzing and stateful (links) phases: no 5xx, no answer
outside its documented schema, no status code the document does not declare. Bounded by examples per
operation, with a fixed seed so that a failure can be replayed.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.servers import MEIJI, Postgres, live_meiji

pytestmark = pytest.mark.slow

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
PASSWORD = "schemathesis-测试-2026"
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"
SEED = "20261129"


def token_of(url: str, env: dict[str, str], role: str) -> str:
    """An account of ``role`` made by the operator's command, signed in over HTTP."""
    handle = f"模糊测试{role}"
    made = subprocess.run([MEIJI, "accounts", "create", handle, "--role", role,
                           "--password", PASSWORD], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert made.returncode == 0, made.stderr
    signed = httpx.post(f"{url}/v1/sessions", json={"handle": handle, "password": PASSWORD}, timeout=30)
    assert signed.status_code == 201, signed.text
    token: str = signed.json()["token"]
    return token


def fuzz(url: str, tmp_path: Path, token: str | None, examples: int) -> None:
    headers = ["-H", f"Authorization: Bearer {token}"] if token else []
    done = subprocess.run(
        [SCHEMATHESIS, "run", f"{url}/openapi.json", "--checks", CHECKS,
         "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", str(examples),
         # One worker: CPython 3.11's ast module is not safe across threads, and schemathesis's
         # generators use it ("AST constructor recursion depth mismatch" under --workers 2).
         "--workers", "1",
         "--seed", SEED, "--no-color", "--warnings", "off", "--generation-database", "none", "--report", "junit",
         "--report-dir", str(tmp_path / "report"), *headers],
        capture_output=True, text=True, timeout=600, check=False)
    summary = done.stdout[-6000:]
    assert done.returncode == 0, summary


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[tuple[str, dict[str, str]]]:
    """One live server per database for the four roles' runs (each role signs up an account of its own):
    what one role's run wrote, the next one meets."""
    extra = {"MEIJI_RATE_LIMITS": "off"}
    if request.param == "postgres":
        pg: Postgres = request.getfixturevalue("pg")
        template: str = request.getfixturevalue("pg_template")
        from tests.conftest import fresh_pg_url

        extra["MEIJI_DATABASE_URL"] = fresh_pg_url(pg, template)
    with live_meiji(tmp_path_factory.mktemp("served") / "data", extra) as (url, env):
        yield url, env


@pytest.mark.parametrize("role", ["public", "member", "editor", "moderator"])
def test_schemathesis_finds_nothing(served: tuple[str, dict[str, str]], role: str, tmp_path: Path) -> None:
    url, env = served
    token = None if role == "public" else token_of(url, env, role)
    fuzz(url, tmp_path, token, examples=3)
