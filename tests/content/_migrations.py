"""Moving a test's database to a migration and back, as ``meiji db migrate`` would."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tortoise.migrations.api import migrate as run_migrations

from kernel import db
from tests.conftest import base_settings


def migrate_to(url: str, data_dir: Path, target: str | None) -> None:
    """Apply (or reverse) the migrations up to ``target`` (``app.name``; None: every one)."""

    async def run() -> None:
        try:
            await run_migrations(config=db.tortoise_config(base_settings(data_dir, database_url=url)), target=target)
        finally:
            await db.close_database()

    asyncio.run(run())
