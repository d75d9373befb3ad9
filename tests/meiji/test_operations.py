"""docs/operations.md is right: every setting is documented with its default, and the backup and
restore it prescribes for the embedded default (SQLite and local files) brings the data back.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from starlette.testclient import TestClient

from kernel import settings as settings_module
from meiji.app import create_app

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "operations.md"
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "meiji-demo-2026"  # the published demo password


def documented_defaults() -> dict[str, str]:
    """``MEIJI_*`` name -> the default cell of the settings table in docs/operations.md."""
    rows = re.findall(r"^\| `(MEIJI_[A-Z0-9_]+)` \| ([^|]+) \|", DOC.read_text(encoding="utf-8"), re.MULTILINE)
    return {name: cell.strip() for name, cell in rows}


def read_settings() -> dict[str, str]:
    """Every ``MEIJI_*`` variable kernel/settings.py reads, with the Settings attribute it fills."""
    source = (ROOT / "kernel" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r'"(MEIJI_[A-Z0-9_]+)"', source))
    attributes = dict((name, attr) for attr, name in re.findall(r'(\w+)=get\("(MEIJI_[A-Z0-9_]+)"', source))
    return {name: attributes.get(name, "") for name in names}


def test_every_setting_is_documented_with_its_default() -> None:
    documented = documented_defaults()
    read = read_settings()

    assert len(read) >= 30
    assert sorted(set(read) - set(documented)) == []
    assert all(documented[name] for name in read), "a setting without a default in the table"
    # Where the default is a number, it is the number the code uses.
    base = settings_module.Settings()
    checked = 0
    for name, attribute in read.items():
        value = getattr(base, attribute, None) if attribute else None
        number = re.match(r"\d+", documented[name])
        if isinstance(value, int | float) and not isinstance(value, bool) and number:
            assert int(number.group()) == value, (name, documented[name], value)
            checked += 1
    assert checked >= 15


def sh_blocks(heading: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1].split("\n#", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.DOTALL)


def cli_env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEIJI_")}
    return {**env, "MEIJI_DATA_DIR": str(data), "MEIJI_LOG_LEVEL": "warning", **extra}


@contextmanager
def app_on(data: Path) -> Iterator[TestClient]:
    """The app on the embedded default in ``data``, as ``meiji serve`` would build it."""
    settings = settings_module.load({"MEIJI_DATA_DIR": str(data), "MEIJI_RATE_LIMITS": "off"})
    with TestClient(create_app(settings.with_(background=False))) as client:
        yield client


def photo_bytes(client: TestClient, diary: dict[str, object]) -> bytes:
    before = diary["before"]
    assert isinstance(before, list) and before
    r = client.get(urlsplit(before[0]["variants"]["large"]["url"]).path)
    assert r.status_code == 200
    return r.content


def sign_in(client: TestClient, handle: str, password: str) -> int:
    return client.post("/v1/sessions", json={"handle": handle, "password": password}).status_code


def test_backup_and_restore_as_documented_bring_the_data_back(tmp_path: Path) -> None:
    backup_block, restore_block = sh_blocks("### Embedded default (SQLite and local files)")
    data, backup = tmp_path / "data", tmp_path / "backup"
    work = tmp_path / "checkout"  # the blocks run from the top of a checkout
    work.mkdir()
    (work / ".venv").symlink_to(BIN.parent)
    demo = subprocess.run([str(BIN / "meiji"), "demo"], env=cli_env(data), capture_output=True, text=True,
                          timeout=300)
    assert demo.returncode == 0, demo.stderr
    with app_on(data) as client:
        before = client.get("/v1/diaries?limit=50").json()["items"]
        photos = {d["id"]: hashlib.sha256(photo_bytes(client, d)).hexdigest() for d in before}
        assert len(before) == 3 and len(photos) == 3

    done = subprocess.run(["bash", "-euo", "pipefail", "-c", backup_block], cwd=work,
                          env=cli_env(data, BACKUP=str(backup)), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert {p.name for p in backup.iterdir()} == {"meiji.sqlite3", "media.tar"}

    # After the backup: a new member signs up; then the disk is lost.
    with app_on(data) as client:
        r = client.post("/v1/accounts", json={"handle": "备份之后的新用户", "password": "换成你自己的长密码",
                                              "birth_date": "1995-04-01"})
        assert r.status_code == 201, r.text
    subprocess.run(["rm", "-rf", str(data)], check=True)

    done = subprocess.run(["bash", "-euo", "pipefail", "-c", restore_block], cwd=work,
                          env=cli_env(data, BACKUP=str(backup)), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr

    with app_on(data) as client:
        after = client.get("/v1/diaries?limit=50").json()["items"]
        assert [(d["id"], d["title"], d["author"]) for d in after] == [
            (d["id"], d["title"], d["author"]) for d in before]
        # Every photo is served again, byte for byte.
        assert {d["id"]: hashlib.sha256(photo_bytes(client, d)).hexdigest() for d in after} == photos
        # Demo members sign in; the account made after the backup is not there.
        assert sign_in(client, "小鹿爱美", DEMO_PASSWORD) == 201
        assert sign_in(client, "备份之后的新用户", "换成你自己的长密码") == 401
        # The rebuilt index finds the restored posts, and an anonymous diary still names no one.
        found = client.get("/v1/search", params={"q": "双眼皮"}).json()
        assert found["total"] >= 1 and any(i["type"] == "diary" for i in found["items"])
        assert [d["author"] for d in after if d["procedure"] == "thermage"] == [None]


def test_the_readme_links_the_operations_guide() -> None:
    assert "](docs/operations.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
