"""The README's "Try it" block, run as written with bash against a live server on a free port.

The server is ``scripts/serve --port <free>`` (demo data, then ``meiji serve``) in a checkout whose
set-up is current, with ``MEIJI_PUBLIC_URL`` unset: the URLs handed out must name the port served.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SEARCH = "/v1/search?q=%E5%8F%8C%E7%9C%BC%E7%9A%AE"  # 双眼皮


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def try_it_block() -> str:
    """The first sh block of the README's "Try it" section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Try it\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert found, "README.md's Try it section has no sh block"
    return found.group(1)


def get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.status == 200
        body: dict[str, object] = json.load(answer)
        return body


def server_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEIJI_")}
    env.update(MEIJI_DATA_DIR=str(data_dir), MEIJI_LOG_LEVEL="warning")
    return env


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The scripts and pyproject.toml of this repository beside the installed .venv, set up already."""
    work = tmp_path / "checkout"
    shutil.copytree(ROOT / "scripts", work / "scripts")
    shutil.copy(ROOT / "pyproject.toml", work / "pyproject.toml")
    # The installed .venv, seen through links, with its own configuration and set-up stamp.
    venv = work / ".venv"
    venv.mkdir()
    for entry in BIN.parent.iterdir():
        if entry.name == "pyvenv.cfg":
            shutil.copy(entry, venv / entry.name)
        elif not entry.name.startswith((".setup", "setup.log")):
            (venv / entry.name).symlink_to(entry)
    (work / ".venv" / ".setup-serve").write_text(hashlib.sha256((work / "pyproject.toml").read_bytes()).hexdigest())
    return work


@pytest.fixture
def live(tmp_path: Path, checkout: Path) -> Iterator[str]:
    """``scripts/serve --port <free>`` on a fresh data directory; yields its base URL."""
    env = server_env(tmp_path / "data")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([str(checkout / "scripts" / "serve"), "--port", str(port)], env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        # Ready, and the demo indexed by the server's own indexer (a user reads the README first).
        deadline = time.monotonic() + 120
        while True:
            try:
                if get(f"{base}/readyz") and get(base + SEARCH)["total"]:
                    break
            except OSError:
                pass
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def answers(output: str) -> list[object]:
    """Every JSON document the block printed, in order (curl prints them back to back)."""
    decoder = json.JSONDecoder()
    found, pos = [], 0
    while True:
        start = min((i for i in (output.find("{", pos), output.find("[", pos)) if i >= 0), default=-1)
        if start < 0:
            return found
        try:
            value, pos = decoder.raw_decode(output, start)
        except json.JSONDecodeError:
            pos = start + 1
            continue
        found.append(value)


def test_the_readme_walkthrough_runs_as_written(live: str, checkout: Path, tmp_path: Path) -> None:
    # Set-up was current: scripts/serve installed nothing.
    assert not (checkout / ".venv" / "setup.log").exists()
    env = {**server_env(tmp_path / "data"), "API": live}

    run = subprocess.run(["bash", "-euo", "pipefail", "-c", try_it_block()], cwd=checkout, env=env,
                         capture_output=True, text=True, timeout=300)

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    printed = [a for a in answers(run.stdout) if isinstance(a, dict)]
    assert not [a for a in printed if isinstance(a.get("status"), int) and a["status"] >= 400], printed
    popular, found = printed[0], printed[1]
    assert popular["items"] and all(d["before"] and d["after"] for d in popular["items"])
    assert found["total"] and all("<em>" in hit["snippet"] for hit in found["items"])
    assert any(a.get("slug") == "shuang-yan-pi" and a.get("title") for a in printed)

    diary = next(a for a in printed if a.get("title") == "我的双眼皮日记" and "after" in a)
    assert diary["author"] is None
    photo = diary["after"][0]["variants"]["large"]["url"]
    # Served on the port the server listens on, not a default 8000.
    assert photo.startswith(f"{live}/"), photo
    with urllib.request.urlopen(photo, timeout=10) as answer:
        assert answer.status == 200 and answer.headers["content-type"] == "image/webp"
    queue = printed[-1]
    assert [i["kind"] for i in queue["items"]] == ["report"], queue

    # What others see afterwards: the new diary with its photo, and never its author.
    listed = get(f"{live}/v1/diaries?limit=20")["items"]
    assert isinstance(listed, list)
    mine = next(d for d in listed if d["title"] == "我的双眼皮日记")
    assert mine["author"] is None and mine["after"][0]["id"] == diary["after"][0]["id"]
    assert "小美" not in json.dumps(mine, ensure_ascii=False)
