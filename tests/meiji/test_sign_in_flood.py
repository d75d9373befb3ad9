"""A flood of sign-ins against a live server: the surplus gets 503 with Retry-After, reads keep answering.

The server runs as operators run it (``meiji serve``, production argon2 parameters), with a pool of
one hashing thread and no queue, so any overlap between sign-ins is refused rather than stacked.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx2

from tests.servers import free_port, wait_for_port

MEIJI = str(Path(sys.executable).parent / "meiji")
PASSWORD = "洪水里的正确密码"


async def flood(base: str) -> tuple[list[httpx2.Response], list[int]]:
    async with httpx2.AsyncClient(base_url=base, timeout=60) as client:
        r = await client.post("/v1/accounts", json={"handle": "正主", "password": PASSWORD,
                                                    "birth_date": "1992-02-02"})
        assert r.status_code == 201, r.text

        async def wrong(n: int) -> httpx2.Response:
            return await client.post("/v1/sessions", json={"handle": "正主", "password": f"猜错的密码{n}"})

        async def reads() -> list[int]:
            statuses = []
            for _ in range(5):
                statuses.append((await client.get("/v1/diaries")).status_code)
                await asyncio.sleep(0)
            return statuses

        *answers, read_statuses = await asyncio.gather(*(wrong(n) for n in range(60)), reads())
        assert isinstance(read_statuses, list)
        return [a for a in answers if isinstance(a, httpx2.Response)], read_statuses


async def sign_in(base: str) -> int:
    async with httpx2.AsyncClient(base_url=base, timeout=60) as client:
        r = await client.post("/v1/sessions", json={"handle": "正主", "password": PASSWORD})
        return r.status_code


def test_a_sign_in_flood_is_refused_with_503_and_reads_still_answer(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "MEIJI_DATA_DIR": str(tmp_path), "MEIJI_RATE_LIMITS": "off", "MEIJI_LOG_LEVEL": "warning",
           "MEIJI_SEARCH_URL": "memory://", "MEIJI_BACKGROUND": "false",
           "MEIJI_PASSWORD_WORKERS": "1", "MEIJI_PASSWORD_QUEUE": "0"}
    server = subprocess.Popen([MEIJI, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, 60, None)
        base = f"http://127.0.0.1:{port}"
        answers, read_statuses = asyncio.run(flood(base))
        statuses = [a.status_code for a in answers]
        assert set(statuses) <= {401, 503}, statuses
        assert 401 in statuses  # the pool did check some
        busy = [a for a in answers if a.status_code == 503]
        assert busy  # ...and refused the rest at once
        for answer in busy:
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["retry-after"].isdigit() and int(answer.headers["retry-after"]) >= 1
        assert read_statuses == [200] * 5
        # Once the flood is over, the member signs in as ever.
        assert asyncio.run(sign_in(base)) == 201
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)
    assert "Traceback" not in log
