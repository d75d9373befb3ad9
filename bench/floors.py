"""The two floors every HTTP benchmark compares against, as ASGI apps.

- ``bare_app``: Starlette answering a constant JSON document (what the framework costs);
- ``orm_app``: Starlette reading one account row through Tortoise from meiji's own database
  (what the framework plus one ORM read costs).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

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
