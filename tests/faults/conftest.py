"""A PostgreSQL cluster of the fault tests' own, which they may stop and start (the session's
cluster is shared by every other test, so it is never restarted)."""

from __future__ import annotations

import asyncio
import itertools
import os
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from tests.servers import Postgres, postgres_bin, postgres_cluster


@dataclass
class Cluster:
    """A running cluster and how to stop and start it as ``pg_ctl`` does for an operator."""

    pg: Postgres
    data: Path
    options: str

    def _pg_ctl(self, *args: str) -> None:
        bindir = postgres_bin()
        assert bindir is not None
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(self.data), *args], check=True,
                       capture_output=True, timeout=60)

    def stop(self) -> None:
        """A fast shutdown: open sessions are ended, as in a restart for an upgrade or a failover."""
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        self._pg_ctl("-l", str(self.data.parent / "log"), "-w", "-o", self.options, "start")

    def database(self) -> str:
        """A new, empty database; its URL."""
        name = f"faults_{next(_names)}"

        async def create() -> None:
            conn = await asyncpg.connect(self.pg.url("postgres"))
            try:
                await conn.execute(f"CREATE DATABASE {name}")
            finally:
                await conn.close()

        asyncio.run(create())
        return self.pg.url(name)


_names = itertools.count(1)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if postgres_bin() is None:
        pytest.skip("PostgreSQL binaries are not installed (/usr/lib/postgresql/*/bin): "
                    "faults of the production database are NOT tested on this machine")
    with postgres_cluster() as pg:

        async def data_directory() -> str:
            conn = await asyncpg.connect(pg.url("postgres"))
            try:
                found: str = await conn.fetchval("SHOW data_directory")
                return found
            finally:
                await conn.close()

        data = Path(asyncio.run(data_directory()))
        # The options it was started with, to start it again the same way.
        argv = shlex.split((data / "postmaster.opts").read_text())[1:]
        while "-D" in argv:
            at = argv.index("-D")
            del argv[at:at + 2]
        yield Cluster(pg, data, shlex.join(argv))
