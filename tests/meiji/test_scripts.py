"""The scripts a newcomer runs first: set-up installs only when needed and keeps pip's noise aside.

Each test copies ``scripts/setup`` into a throwaway project whose ``.venv/bin/python`` records how it
was called (installing for real would need the network and minutes); the script's own decisions
(install or not, which extras, where the output goes) are what is checked.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FAKE_PYTHON = """#!/usr/bin/env bash
echo "$*" >> "$(dirname "$0")/../calls"
echo "Collecting 依赖包 (pip's own chatter)"
exit "${FAKE_PIP_STATUS:-0}"
"""


def project(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup", tmp_path / "scripts" / "setup")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    return tmp_path


def setup(root: Path, *args: str, status: int = 0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(root / "scripts" / "setup"), *args], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "FAKE_PIP_STATUS": str(status)})


def installs(root: Path) -> list[str]:
    calls = root / ".venv" / "calls"
    lines = calls.read_text().splitlines() if calls.exists() else []
    return [line.split("install ", 1)[1] for line in lines if "pip install" in line and "--upgrade pip" not in line]


def test_serving_installs_without_the_test_tools_and_only_once(tmp_path: Path) -> None:
    root = project(tmp_path)

    first = setup(root)
    assert first.returncode == 0, first.stderr
    assert installs(root) == ["-e ."]
    # pip's chatter is in the log, not on the first screen.
    assert "Collecting" not in first.stdout + first.stderr
    assert "Collecting 依赖包" in (root / ".venv" / "setup.log").read_text()

    again = setup(root)
    assert again.returncode == 0 and again.stdout == "" and again.stderr == ""
    assert installs(root) == ["-e ."]


def test_tests_install_their_tools_which_also_cover_serving(tmp_path: Path) -> None:
    root = project(tmp_path)

    assert setup(root, "test").returncode == 0
    assert setup(root, "test").returncode == 0
    assert setup(root).returncode == 0

    assert installs(root) == ["-e .[test]"]


def test_a_changed_pyproject_installs_again(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert setup(root, "test").returncode == 0

    with (root / "pyproject.toml").open("a") as f:
        f.write("\n# a new dependency would go here\n")

    assert setup(root, "test").returncode == 0
    assert installs(root) == ["-e .[test]", "-e .[test]"]


def test_a_failed_install_shows_pip_s_output_and_is_retried(tmp_path: Path) -> None:
    root = project(tmp_path)

    failed = setup(root, status=1)
    assert failed.returncode == 1
    assert "pip failed" in failed.stderr and "Collecting 依赖包" in failed.stderr

    assert setup(root).returncode == 0
    assert installs(root) == ["-e ."]


def test_the_scripts_ask_for_what_they_need() -> None:
    def setup_line(name: str) -> str:
        return next(line for line in (ROOT / "scripts" / name).read_text().splitlines()
                    if line.startswith("scripts/setup"))

    assert setup_line("serve") == "scripts/setup"
    assert setup_line("test") == "scripts/setup test"
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("exec scripts/test")
