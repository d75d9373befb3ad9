"""The ``meiji`` command, run as an operator would."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest
from starlette.testclient import TestClient

from meiji.app import create_app
from search.ownership import holder
from tests.conftest import base_settings
from tests.servers import Postgres

MEIJI = str(Path(sys.executable).parent / "meiji")


def run(args: list[str], data_dir: Path, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MEIJI, *args], capture_output=True, text=True, timeout=120, input=stdin,
                          env={**os.environ, "MEIJI_DATA_DIR": str(data_dir), "MEIJI_LOG_LEVEL": "warning", **env})


def test_help_on_every_subcommand(tmp_path: Path) -> None:
    for args in (["--help"], ["serve", "--help"], ["db", "migrate", "--help"], ["accounts", "create", "--help"],
                 ["media", "sweep", "--help"], ["index", "run", "--help"], ["search", "reindex", "--help"],
                 ["moderation", "tick", "--help"], ["demo", "--help"]):
        result = run(args, tmp_path)
        assert result.returncode == 0, (args, result.stderr)
        assert "usage: meiji" in result.stdout


def test_a_bad_setting_stops_with_one_line(tmp_path: Path) -> None:
    result = run(["db", "migrate"], tmp_path, MEIJI_DATABASE_URL="oracle://nope")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "meiji: MEIJI_DATABASE_URL: scheme must be one of sqlite, postgres, asyncpg, got 'oracle://nope'"]


def test_migrate_then_create_the_first_admin(tmp_path: Path) -> None:
    assert run(["db", "migrate"], tmp_path).returncode == 0
    result = run(["accounts", "create", "站长", "--role", "admin", "--password", "a-long-password"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "created admin 站长" in result.stdout
    again = run(["accounts", "create", "站长", "--role", "admin", "--password", "a-long-password"], tmp_path)
    assert again.returncode == 1
    assert "handle is taken" in again.stderr


def test_serve_refuses_several_workers_on_sqlite(tmp_path: Path) -> None:
    result = run(["serve", "--workers", "4"], tmp_path)
    assert result.returncode == 2
    assert "one worker" in result.stderr


# --- what an operator reads when something is wrong -------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_an_unreachable_postgres_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    url = f"postgres://meiji:s3cret-pw@127.0.0.1:{port}/meiji"
    for args in (["db", "migrate"], ["serve", "--port", str(free_port())], ["accounts", "create", "站长",
                                                                             "--password", "a-long-password"]):
        result = run(args, tmp_path, MEIJI_DATABASE_URL=url)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.strip().splitlines() == [
            f"meiji: MEIJI_DATABASE_URL: cannot use PostgreSQL at 127.0.0.1:{port}/meiji: connection refused "
            "(is the server running and listening there?)"], args
        assert "s3cret-pw" not in result.stderr + result.stdout


@pytest.mark.postgres
def test_a_postgres_database_is_checked_as_tortoise_reads_its_url(tmp_path: Path, pg: Postgres) -> None:
    async def create() -> None:
        admin = await asyncpg.connect(pg.url("postgres"))
        try:
            await admin.execute("CREATE DATABASE cli_check")
        finally:
            await admin.close()

    asyncio.run(create())
    # Pool options in the URL are Tortoise's, not server settings: the check accepts them.
    result = run(["db", "migrate"], tmp_path, MEIJI_DATABASE_URL=pg.url("cli_check") + "?minsize=1&maxsize=3")
    assert result.returncode == 0, result.stderr
    missing = run(["db", "migrate"], tmp_path, MEIJI_DATABASE_URL=pg.url("美记_不存在"))
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        f"meiji: MEIJI_DATABASE_URL: cannot use PostgreSQL at 127.0.0.1:{pg.port}/美记_不存在: "
        "the database does not exist"]


def test_s3_storage_is_checked_before_serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    storage = f"s3://meiji-media?endpoint=http://127.0.0.1:{free_port()}&region=cn-north-1"
    no_files = {"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
                "AWS_EC2_METADATA_DISABLED": "true"}
    result = run(["serve", "--port", str(free_port())], tmp_path, MEIJI_STORAGE_URL=storage, **no_files)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"meiji: MEIJI_STORAGE_URL: cannot use S3 bucket 'meiji-media' at {storage.split('//')[2].split('&')[0]}: "
        "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or an AWS profile)")

    keys = {"AWS_ACCESS_KEY_ID": "AKIAMEIJITEST", "AWS_SECRET_ACCESS_KEY": "不要显示的密钥"}
    result = run(["serve", "--port", str(free_port())], tmp_path, MEIJI_STORAGE_URL=storage, **no_files, **keys)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith(
        "cannot connect to the endpoint (is it running, is endpoint= right?)")
    assert "不要显示的密钥" not in result.stderr


def test_readyz_gives_a_reason_per_failed_check_without_secrets(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAMEIJITEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "不要显示的密钥")
    storage = f"s3://meiji-media?endpoint=http://127.0.0.1:{free_port()}&region=cn-north-1"
    with TestClient(create_app(base_settings(tmp_path, storage_url=storage))) as client:
        r = client.get("/readyz")
        assert r.status_code == 503
        body = r.json()
        assert body["checks"] == {"database": "ok", "storage": "unavailable", "search": "ok"}
        assert body["reasons"] == {"storage": "cannot connect to the endpoint (is it running, is endpoint= right?)"}
        assert "AKIAMEIJITEST" not in r.text and "不要显示的密钥" not in r.text and "127.0.0.1" not in r.text


def test_a_piped_password_is_read_from_standard_input(tmp_path: Path) -> None:
    assert run(["db", "migrate"], tmp_path).returncode == 0
    result = run(["accounts", "create", "站长", "--role", "admin"], tmp_path, stdin="站长的长密码-2026\n")
    assert result.returncode == 0, result.stderr
    assert "created admin 站长" in result.stdout
    empty = run(["accounts", "create", "副站长", "--role", "admin"], tmp_path, stdin="")
    assert empty.returncode == 2
    assert empty.stderr.strip() == "meiji: no password: give --password, or pipe one line on standard input"

    # The piped line is the password, whole: the admin signs in with it, and with nothing else.
    with TestClient(create_app(base_settings(tmp_path))) as client:
        def sign_in(handle: str, password: str) -> int:
            return client.post("/v1/sessions", json={"handle": handle, "password": password}).status_code

        assert sign_in("站长", "站长的长密码-2026") == 201
        assert sign_in("站长", "站长的长密码-2026\n") == 401
        assert sign_in("副站长", "站长的长密码-2026") == 401


def test_commands_say_what_they_did(tmp_path: Path) -> None:
    # The embedded default, no server: the demo leaves its documents in the outbox for the indexer.
    loaded = run(["demo"], tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    indexed = run(["index", "run", "--once"], tmp_path)
    assert indexed.returncode == 0, indexed.stderr
    match = re.fullmatch(r"indexed (\d+) documents, removed 0 \(\d+ outbox rows\)", indexed.stdout.strip())
    assert match and int(match.group(1)) > 0, indexed.stdout
    assert run(["index", "run", "--once"], tmp_path).stdout.strip() == "indexed 0 documents, removed 0 (0 outbox rows)"
    again = run(["demo"], tmp_path)
    assert again.returncode == 0
    assert again.stdout.startswith("the demo data is already loaded (")
    assert "nothing added" in again.stdout
    # Whoever searches afterwards finds the demo's posts in the index the command wrote.
    with TestClient(create_app(base_settings(tmp_path, search_url=f"tantivy://{tmp_path / 'search'}"))) as client:
        hits = client.get("/v1/search", params={"q": "双眼皮"}).json()["items"]
        assert any(hit["type"] == "diary" for hit in hits)


def test_start_up_logs_no_shutdown(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "MEIJI_DATA_DIR": str(tmp_path), "MEIJI_LOG_LEVEL": "info"}
    server = subprocess.Popen([MEIJI, "serve", "--port", str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []
    try:
        assert server.stdout is not None
        for line in server.stdout:
            lines.append(line)
            if "Application startup complete" in line:
                break
    finally:
        server.send_signal(signal.SIGINT)
        rest, _ = server.communicate(timeout=60)
    assert any("Application startup complete" in line for line in lines), "".join(lines) + rest
    assert not any("Tortoise-ORM shutdown" in line for line in lines), "".join(lines)
    for args in (["db", "migrate"], ["media", "sweep"]):
        result = run(args, tmp_path, MEIJI_LOG_LEVEL="info")
        assert result.returncode == 0, result.stderr
        assert result.stderr.count("Tortoise-ORM shutdown") <= 1, result.stderr


def test_a_busy_port_stops_serving_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(["serve", "--port", str(port)], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"meiji: port {port} on 127.0.0.1 is already in use (another meiji serve?); choose another with --port"]
    # Nothing ran before the check: no database, no index.
    assert not (tmp_path / "meiji.sqlite3").exists() and not (tmp_path / "search").exists()


def ignore_sigint() -> None:
    """What a script's ``command &`` does to the command: SIGINT (and SIGQUIT) ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_a_running_indexer_owns_the_embedded_index_and_the_server_says_so(tmp_path: Path) -> None:
    assert run(["db", "migrate"], tmp_path).returncode == 0
    env = {**os.environ, "MEIJI_DATA_DIR": str(tmp_path), "MEIJI_LOG_LEVEL": "warning"}
    # Started in the background of a script, as operators do: it still stops on SIGINT.
    indexer = subprocess.Popen([MEIJI, "index", "run"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env, preexec_fn=ignore_sigint)
    try:
        owner = tmp_path / "search" / "OWNER"
        deadline = time.monotonic() + 60
        while not (owner.exists() and owner.read_text().startswith("meiji index run")):
            assert indexer.poll() is None and time.monotonic() < deadline, "the indexer never took the index"
            time.sleep(0.1)
        result = run(["serve", "--port", str(free_port())], tmp_path)
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [
            f"meiji: meiji index run (pid {indexer.pid}) owns the embedded search index in {tmp_path / 'search'}; "
            "stop it first (one server per data directory, and no `meiji index run` beside it)"]
    finally:
        indexer.send_signal(signal.SIGINT)
        _, err = indexer.communicate(timeout=60)
    assert indexer.returncode == 128 + signal.SIGINT, err
    assert holder(tmp_path / "search") is None  # it let go of the index: a server may start


def test_the_indexer_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    # systemd and docker stop a service with SIGTERM: the indexer lets go of the index and exits.
    assert run(["db", "migrate"], tmp_path).returncode == 0
    env = {**os.environ, "MEIJI_DATA_DIR": str(tmp_path), "MEIJI_LOG_LEVEL": "warning"}
    indexer = subprocess.Popen([MEIJI, "index", "run"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env)
    try:
        deadline = time.monotonic() + 60
        while holder(tmp_path / "search") is None:
            assert indexer.poll() is None and time.monotonic() < deadline, "the indexer never took the index"
            time.sleep(0.1)
    finally:
        indexer.send_signal(signal.SIGTERM)
        _, err = indexer.communicate(timeout=60)
    assert indexer.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    assert "nothing applies the search outbox" not in err  # it is what applies it
    assert holder(tmp_path / "search") is None
