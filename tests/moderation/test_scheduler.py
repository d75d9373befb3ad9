"""``meiji moderation tick``: the scheduler's one round, from the command line (cron)."""

from __future__ import annotations

from pathlib import Path

import pytest

from meiji import cli


def test_the_tick_command_runs_on_a_fresh_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MEIJI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MEIJI_STORAGE_URL", "memory://")
    monkeypatch.setenv("MEIJI_SEARCH_URL", "memory://")
    for _ in range(2):  # idempotent: a second round finds nothing due
        with pytest.raises(SystemExit) as exit_:
            cli.main(["moderation", "tick"])
        assert exit_.value.code == 0
    assert capsys.readouterr().out.count("moderation timers run") == 2
