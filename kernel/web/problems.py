"""RFC 9457 problem details: every error the service answers is ``application/problem+json``."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from kernel import db

log = logging.getLogger("meiji.errors")

PROBLEM_TYPE = "application/problem+json"


class Problem(Exception):
    """An error answered to the client as problem+json; raise it from any layer."""

    def __init__(
        self,
        status: int,
        detail: str = "",
        *,
        errors: Sequence[Mapping[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(detail or HTTPStatus(status).phrase)
        self.status = status
        self.detail = detail or HTTPStatus(status).phrase
        self.errors = [dict(e) for e in errors] if errors else None
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        self.title = title or HTTPStatus(status).phrase


def invalid(field: str, message: str, status: int = 422) -> Problem:
    """A validation problem about one field."""
    return Problem(status, f"{field}: {message}", errors=[{"field": field, "message": message}])


def not_found(what: str = "resource") -> Problem:
    return Problem(404, f"No such {what}.")


def conflict(detail: str) -> Problem:
    return Problem(409, detail)


def problem_response(problem: Problem) -> Response:
    body: dict[str, Any] = {
        "type": f"https://meiji.dev/problems/{problem.status}",
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if problem.errors is not None:
        body["errors"] = problem.errors
    body.update(problem.extra)
    return Response(orjson.dumps(body), status_code=problem.status, media_type=PROBLEM_TYPE,
                    headers=problem.headers)


async def on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if exc.detail and exc.detail != HTTPStatus(exc.status_code).phrase else ""
    if exc.status_code == 404:
        detail = "No route or resource at this path."
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed here."
    elif exc.status_code == 413:
        detail = "The request body is larger than this route accepts."
    return problem_response(Problem(exc.status_code, detail, headers=exc.headers))


def _route(request: Request) -> str:
    """The route template, as the access log names it: a concrete path may carry a case id or a token."""
    return str(request.scope.get("meiji.route", "unmatched"))


async def on_disconnect(request: Request, exc: Exception) -> Response:
    # The client went away mid-body: nobody reads this answer, and it is not a failure of ours.
    log.info("client disconnected during %s %s", request.method, _route(request))
    return problem_response(Problem(400, "The client disconnected before the body was complete."))


async def on_error(request: Request, exc: Exception) -> Response:
    # The body never carries the exception: no stack, no SQL, no path on disk.
    log.exception("unhandled error on %s %s", request.method, _route(request))
    return problem_response(Problem(500, "The service failed to answer this request; it has been logged."))


async def on_database_outage(request: Request, exc: Exception) -> Response:
    # Down, restarting or a dropped connection: the client can retry once the pool has reconnected.
    if not db.is_outage(exc):
        return await on_error(request, exc)
    log.warning("database unavailable during %s %s: %s", request.method, _route(request), db.reason(exc))
    return problem_response(Problem(503, "The database is unavailable right now; try again in a few seconds.",
                                    headers={"Retry-After": "5"}))


EXCEPTION_HANDLERS: Mapping[Any, Any] = {
    Problem: on_problem,
    HTTPException: on_http_exception,
    ClientDisconnect: on_disconnect,
    **{kind: on_database_outage for kind in (*db.outage_errors(), *db.outage_aftermath())},
    Exception: on_error,
}
