"""A ``meiji serve`` process the fault tests can kill, the CLI beside it, and a look at its data.

``serving`` hands out the process itself (``tests.servers.Served``), so a test can send it
SIGKILL and start another over the same data directory.
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import httpx2 as httpx

from tests import servers
from tests.servers import MEIJI, Served, meiji_environment

PASSWORD = "美记-fault-test-password"


def meiji_exe() -> str:
    return MEIJI


def environment(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """What ``meiji`` needs to work on ``data_dir``: no rate limits (the tests write in bursts)."""
    return meiji_environment(data_dir, {"MEIJI_RATE_LIMITS": "off", **(extra or {})})


def serving(data_dir: Path, extra: dict[str, str] | None = None) -> contextlib.AbstractContextManager[Served]:
    """``meiji serve`` over ``data_dir`` without rate limits, ready; the process is the test's to kill."""
    return servers.serving(data_dir, {"MEIJI_RATE_LIMITS": "off", **(extra or {})}, seconds=90)


def cli(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 120) -> str:
    """Run a ``meiji`` command to completion; its output, or an assertion naming what it said."""
    done = subprocess.run([meiji_exe(), *args], env=env, input=stdin, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"meiji {' '.join(args)} exited {done.returncode}: {done.stdout}{done.stderr}"
    return done.stdout


def member(url: str, handle: str) -> dict[str, str]:
    """A member signed up and signed in through the API; the headers of their requests."""
    with httpx.Client(base_url=url, timeout=30) as http:
        r = http.post("/v1/accounts", json={"handle": handle, "password": PASSWORD, "birth_date": "1995-03-08"})
        assert r.status_code == 201, r.text
        r = http.post("/v1/sessions", json={"handle": handle, "password": PASSWORD})
        assert r.status_code == 201, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}


def rows(database: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read the embedded database directly, as an operator's ``sqlite3`` would."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as conn:
        return conn.execute(sql, params).fetchall()


def media_files(root: Path) -> list[Path]:
    """Every file under the local media directory, temporary ones included."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def editor_procedure(url: str, env: dict[str, str], handle: str = "美记编辑") -> str:
    """An editor made with ``meiji accounts create`` adds the procedure diaries are about; its slug."""
    cli(env, "accounts", "create", handle, "--role", "editor", stdin=PASSWORD + "\n")
    with httpx.Client(base_url=url, timeout=30) as http:
        r = http.post("/v1/sessions", json={"handle": handle, "password": PASSWORD})
        assert r.status_code == 201, r.text
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        r = http.post("/v1/procedures", json={"slug": "shuang-yan-pi", "name": "双眼皮", "aliases": ["重睑术"]},
                      headers=headers)
        assert r.status_code == 201, r.text
    return "shuang-yan-pi"


def question(word: str, n: int) -> dict[str, object]:
    """A question whose title and body carry ``word``, a token no other post has."""
    return {"title": f"{word}：做完双眼皮第{n}天还是肿，正常吗？",
            "body": f"<p>编号{word}。医生说一周消肿，可我现在眼睛还睁不太开，有没有姐妹一样的情况？</p>",
            "anonymous": n % 2 == 0}


def photo(shade: int = 0) -> bytes:
    from tests.conftest import photo_bytes

    return photo_bytes(800, 600, (220 - shade % 60, 180, 160 + shade % 60))


def search_ids(http: httpx.Client, word: str, doc_type: str = "question") -> list[str]:
    r = http.get("/v1/search", params={"q": word, "type": doc_type, "limit": 50})
    assert r.status_code == 200, r.text
    return sorted(str(item["id"]) for item in r.json()["items"])


def migrated_data_dir(root: Path, sqlite_template: Path) -> Path:
    """A data directory whose database already has every migration (the session's template), so
    the first ``meiji serve`` over it skips migrating."""
    import shutil

    data = root / "data"
    data.mkdir(parents=True)
    shutil.copy(sqlite_template, data / "meiji.sqlite3")
    return data
