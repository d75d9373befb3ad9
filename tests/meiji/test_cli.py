"""The ``meiji`` command, run as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MEIJI = str(Path(sys.executable).parent / "meiji")


def run(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MEIJI, *args], capture_output=True, text=True, timeout=120,
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
