"""The embedded default under concurrent writers: no request fails with "database is locked".

A real ``meiji serve`` process takes a burst of concurrent writes while a second process (the CLI)
writes to the same SQLite file, as an operator creating accounts on a live server would.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx2

from tests.servers import free_port, wait_for_port

MEIJI = str(Path(sys.executable).parent / "meiji")


async def burst(base: str) -> list[int]:
    async with httpx2.AsyncClient(base_url=base, timeout=60) as client:
        async def sign_up(n: int) -> int:
            r = await client.post("/v1/accounts", json={"handle": f"并发{n}", "password": "concurrent-pw-1",
                                                        "birth_date": "1993-03-03"})
            return r.status_code

        codes = list(await asyncio.gather(*(sign_up(n) for n in range(30))))
        token = (await client.post("/v1/sessions", json={"handle": "并发0", "password": "concurrent-pw-1"})).json()[
            "token"]
        headers = {"Authorization": f"Bearer {token}"}

        async def edit(n: int) -> int:
            r = await client.patch("/v1/me", json={"bio": f"第{n}次修改简介"}, headers=headers)
            return r.status_code

        codes += await asyncio.gather(*(edit(n) for n in range(30)))
        me = (await client.get("/v1/me", headers=headers)).json()
        assert me["version"] == 31  # every edit counted: atomic increments, no lost update
        return codes


def test_concurrent_writers_never_see_a_locked_database(tmp_path: Path) -> None:
    port = free_port()
    # A queue for every sign-up of the burst: this test is about the database, not the sign-in flood.
    env = {**os.environ, "MEIJI_DATA_DIR": str(tmp_path), "MEIJI_RATE_LIMITS": "off", "MEIJI_LOG_LEVEL": "warning",
           "MEIJI_PASSWORD_QUEUE": "64",
           "MEIJI_SEARCH_URL": "memory://"}
    server = subprocess.Popen([MEIJI, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, 60, None)
        time.sleep(0.5)
        cli = subprocess.Popen([MEIJI, "accounts", "create", "运营", "--role", "admin", "--password", "operator-pw-1"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        codes = asyncio.run(burst(f"http://127.0.0.1:{port}"))
        _, err = cli.communicate(timeout=120)
        assert cli.returncode == 0, err
        assert codes == [201] * 30 + [200] * 30
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)
    assert "locked" not in log
