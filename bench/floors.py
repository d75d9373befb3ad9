"""The floors every HTTP benchmark compares against, as ASGI apps.

- ``bare_app``: Starlette answering a constant JSON document (what the framework costs);
- ``orm_app``: Starlette reading one account row through Tortoise from meiji's own database,
  opened as meiji opens it (``kernel.db``: on the embedded default, ``kernel/sqlite.py``'s client,
  which answers on the event loop's thread);
- ``strict_app``: Starlette reading one three-column row through Tortoise from a database of its
  own, opened as any Tortoise application opens SQLite (aiosqlite, a thread per connection): the
  least a minimal application reading the database costs, and the floor lists are held to.

``python bench/floors.py`` prints what one request to the strict floor costs in this process (no
socket), the figure the per-endpoint profiles are set against.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tortoise import Tortoise

from bench.floor_row import FloorRow
from kernel import db
from kernel import settings as settings_module
from meiji.accounts.models import Account


async def hello(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True, "service": "meiji"})


bare_app = Starlette(routes=[Route("/", hello)])


async def one_row(request: Request) -> JSONResponse:
    account = await Account.filter(id=request.app.state.account_id).first()
    return JSONResponse({"id": account.id if account else None, "handle": account.handle if account else None})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    settings = settings_module.load()
    await db.migrate(settings)
    await db.open_database(settings)
    first = await Account.all().order_by("id").first()
    app.state.account_id = first.id if first else 1
    yield
    await db.close_database()


orm_app = Starlette(routes=[Route("/row", one_row), Route("/healthz", healthz)], lifespan=lifespan)


async def strict_row(request: Request) -> JSONResponse:
    row = await FloorRow.filter(id=1).first()
    return JSONResponse({"id": row.id, "name": row.name, "value": row.value} if row else {})


@contextlib.asynccontextmanager
async def strict_lifespan(app: Starlette) -> AsyncIterator[None]:
    data = settings_module.load().data_dir
    await Tortoise.init(db_url=f"sqlite://{data / 'floor.sqlite3'}", modules={"floor": ["bench.floor_row"]},
                        _enable_global_fallback=True)
    await Tortoise.generate_schemas(safe=True)
    if not await FloorRow.exists(id=1):
        await FloorRow.create(id=1, name="双眼皮", value=1)
    yield
    await Tortoise.close_connections()


strict_app = Starlette(routes=[Route("/row", strict_row), Route("/healthz", healthz)], lifespan=strict_lifespan)


async def _in_process(calls: int) -> float:
    """Microseconds per request to the strict floor, called in this process without a socket."""
    from bench.asgi import InProcess

    async with InProcess(strict_app) as app:
        for _ in range(200):
            await app.call("GET", "/row")
        start = time.perf_counter()
        for _ in range(calls):
            await app.call("GET", "/row")
        return (time.perf_counter() - start) / calls * 1e6


if __name__ == "__main__":
    print(f"{asyncio.run(_in_process(3000)):.0f}")
