"""Declaring an HTTP endpoint once: its schemas validate requests and describe it in OpenAPI.

A room writes::

    api = Api("diaries")

    @api.route("POST", "/v1/diaries", body=DiaryIn, response=DiaryOut, status=201,
               auth="member", idempotent=True)
    async def create_diary(call: Call[DiaryIn, None]) -> object:
        return await services.create_diary(call.member, call.body)

and exposes ``routes = api.routes``. The wrapper resolves the caller, applies rate limits and
``Idempotency-Key``, parses the query and body into the schemas, and serializes what the handler
returns (a dict, a list, a pydantic model, or a ready ``Response``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, Literal, TypeVar

import orjson
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kernel import db
from kernel.clock import now
from kernel.settings import Settings
from kernel.web import idempotency
from kernel.web.auth import Principal, require, resolve
from kernel.web.bodies import json_body, query_params, refuse_query
from kernel.web.forwarded import real_client
from kernel.web.ids import check_path
from kernel.web.problems import Problem
from kernel.web.services import kernel_services, services_in

B = TypeVar("B")
Q = TypeVar("Q")

Auth = Literal["public", "member", "editor", "moderator", "admin"]
_ROLES: Mapping[str, tuple[str, ...]] = {
    "editor": ("editor",),
    "moderator": ("moderator",),
    "admin": ("admin",),
}


@dataclass
class Call(Generic[B, Q]):
    """One request, parsed: the caller, the body and query as their schemas, the path values."""

    request: Request
    body: B
    query: Q
    principal: Principal | None

    @property
    def member(self) -> Principal:
        """The caller; only on routes whose ``auth`` is not ``public``."""
        assert self.principal is not None
        return self.principal

    @property
    def path(self) -> Mapping[str, Any]:
        return self.request.path_params

    @property
    def settings(self) -> Settings:
        return kernel_services(self.request.app.state).settings

    @property
    def services(self) -> object:
        """The application's services object; each room narrows it with its ``services_of``."""
        return services_in(self.request.app.state)


Handler = Callable[[Call[Any, Any]], Awaitable[object]]


@dataclass(kw_only=True)
class Endpoint:
    """What OpenAPI and the wrapper know of one route; built by name, never by position."""

    method: str
    path: str
    handler: Handler
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    auth: Auth = "public"
    idempotent: bool = False
    rate: str | None = None
    max_body: int | None = None
    raw_body: bool = False
    request_schema: dict[str, Any] | None = None
    errors: Collection[int] = field(default_factory=tuple)
    summary: str = ""
    headers: Collection[str] = field(default_factory=tuple)
    suspended_ok: bool = False
    shared_limit: bool = True
    secret_fields: Collection[str] = field(default_factory=tuple)
    token_auth: bool = True
    # Publishes a post: counted per account (not token or address) in ``post``, or ``post_new`` for
    # accounts younger than MEIJI_REPORTER_MIN_AGE_DAYS, so signing in again resets nothing.
    posting: bool = False
    # A list whose 200 answer is kept until the database changes (``kernel.web.kept``).
    kept: bool = False


def dump(value: object) -> bytes:
    if isinstance(value, BaseModel):
        return value.model_dump_json().encode()
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z)


def json_response(value: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(dump(value), status_code=status, media_type="application/json", headers=headers)


def client_address(request: Request) -> str:
    """The caller's address: the connection's, or behind MEIJI_TRUSTED_PROXIES the one they forwarded."""
    known = request.scope.get("meiji.client")
    if isinstance(known, str):
        return known
    peer = request.client.host if request.client else "unknown"
    proxies = kernel_services(request.app.state).settings.trusted_proxies
    address = real_client(peer, request.headers.getlist("x-forwarded-for"), proxies)
    request.scope["meiji.client"] = address
    return address


class Api:
    """The endpoints of one room, with their Starlette routes."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.endpoints: list[Endpoint] = []
        self._routes: dict[str, Route] = {}
        self._methods: dict[str, dict[str, Endpoint]] = {}

    @property
    def routes(self) -> list[Route]:
        return list(self._routes.values())

    def route(
        self,
        method: str,
        path: str,
        *,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        auth: Auth = "public",
        idempotent: bool = False,
        rate: str | None = None,
        max_body: int | None = None,
        raw_body: bool = False,
        request_schema: dict[str, Any] | None = None,
        errors: Collection[int] = (),
        headers: Collection[str] = (),
        suspended_ok: bool = False,
        shared_limit: bool = True,
        secret_fields: Collection[str] = (),
        token_auth: bool = True,
        posting: bool = False,
        kept: bool = False,
    ) -> Callable[[Callable[[Call[B, Q]], Awaitable[object]]], Callable[[Call[B, Q]], Awaitable[object]]]:
        def register(handler: Callable[[Call[B, Q]], Awaitable[object]]) -> Callable[[Call[B, Q]], Awaitable[object]]:
            summary = (handler.__doc__ or "").strip().splitlines()[0] if handler.__doc__ else ""
            endpoint = Endpoint(method=method, path=path, handler=handler, tag=self.tag, body=body, query=query,
                                response=response, status=status, auth=auth, idempotent=idempotent, rate=rate,
                                max_body=max_body, raw_body=raw_body, request_schema=request_schema, errors=errors,
                                summary=summary, headers=headers, suspended_ok=suspended_ok,
                                shared_limit=shared_limit, secret_fields=secret_fields, token_auth=token_auth,
                                posting=posting, kept=kept)
            self.endpoints.append(endpoint)
            methods = self._methods.setdefault(path, {})
            methods[method] = endpoint
            # One Route per path dispatching on method, so an unknown method answers 405.
            self._routes[path] = Route(path, _dispatcher(methods), methods=list(methods),
                                       max_body_size=max(e.max_body or 0 for e in methods.values()) or None)
            return handler

        return register


def _dispatcher(methods: Mapping[str, Endpoint]) -> Callable[[Request], Awaitable[Response]]:
    async def dispatch(request: Request) -> Response:
        endpoint = methods.get(request.method) or (methods.get("GET") if request.method == "HEAD" else None)
        if endpoint is None:
            raise Problem(405, f"{request.method} is not allowed here.",
                          headers={"Allow": ", ".join(methods)})
        return await run(endpoint, request)

    # OpenAPI reads the endpoints behind each mounted route from here.
    setattr(dispatch, "endpoints", methods)  # noqa: B010
    return dispatch


async def run(endpoint: Endpoint, request: Request) -> Response:
    request.scope["meiji.route"] = endpoint.path
    services = kernel_services(request.app.state)
    settings = services.settings
    limiter = services.rate_limiter
    address = client_address(request)
    token = request.headers.get("authorization")
    # Routes with their own bucket only (image files a feed loads by the dozen) skip the shared one.
    if endpoint.shared_limit:
        await (limiter.hit("token", token[-24:]) if token else limiter.hit("ip", address))
    if endpoint.rate:
        await limiter.hit(endpoint.rate, address)

    # A route with token_auth=False reads Authorization itself (a scraper's token is no account's).
    caller = await resolve(request, services.authenticate) if endpoint.token_auth else None
    if endpoint.auth != "public":
        # Suspended accounts read but do not write; a few writes about their own account stay open.
        writes = request.method not in ("GET", "HEAD") and not endpoint.suspended_ok
        require(caller, roles=_ROLES.get(endpoint.auth, ()), write=writes)
    if endpoint.posting and caller is not None:
        await limiter.hit(_posting_bucket(caller, settings), f"a:{caller.id}")

    # After the caller is known, so a stranger still gets 401 rather than learning about the path.
    check_path(request.path_params)

    # Refuse a declared oversize body before reading any of it (Starlette's limit, app or route).
    limit = request.scope.get("starlette.max_body_size")
    length = request.headers.get("content-length")
    if limit is not None and length and length.isdigit() and int(length) > limit:
        raise Problem(413, "The request body is larger than this route accepts.")

    key = idempotency.key_of(request) if endpoint.idempotent else None
    scope = f"a:{caller.id}" if caller else f"ip:{address}"
    if key is not None:
        raw = await request.body()
        print_ = idempotency.fingerprint(request, raw)
        answered = await idempotency.claim(scope, key, print_, settings.idempotency_seconds)
        if answered is not None:
            return answered
        try:
            response = await _answer(endpoint, request, caller)
        except BaseException:
            # Refused or failed: nothing was created, so the key may be tried again.
            with contextlib.suppress(Exception):
                await idempotency.abandon(scope, key)
            raise
        await idempotency.complete(scope, key, response, endpoint.secret_fields)
        return response
    return await _answer(endpoint, request, caller)


def _posting_bucket(caller: Principal, settings: Settings) -> str:
    """``post_new`` for an account younger than MEIJI_REPORTER_MIN_AGE_DAYS (fake-review farms use
    fresh ones), else ``post``."""
    young = (caller.joined_at is not None and settings.reporter_min_age_days > 0
             and caller.joined_at > now() - timedelta(days=settings.reporter_min_age_days))
    return "post_new" if young else "post"


async def _answer(endpoint: Endpoint, request: Request, caller: Principal | None) -> Response:
    """Parse the query and body into their schemas, call the handler, serialize what it returns."""
    if endpoint.query is None:
        refuse_query(request)
    query = query_params(request, endpoint.query) if endpoint.query else None
    body = await json_body(request, endpoint.body) if endpoint.body and not endpoint.raw_body else None
    call = Call(request, body, query, caller)
    if endpoint.kept and request.method == "GET":
        return await _kept(endpoint, call)
    result = await endpoint.handler(call)
    return result if isinstance(result, Response) else json_response(result, endpoint.status)


async def _kept(endpoint: Endpoint, call: Call[Any, Any]) -> Response:
    """The answer kept for the same route, path, query and caller while the database is unchanged;
    computed (and kept) otherwise."""
    request = call.request
    pages = kernel_services(request.app.state).kept_pages
    key = (endpoint.path, tuple(request.path_params.items()), request.scope["query_string"], call.principal)
    mark = db.change_mark() if pages.size else None  # before reading: a commit from here on means not kept
    kept = pages.get(key, mark)
    if kept is not None:
        return Response(kept, status_code=endpoint.status, media_type="application/json")
    result = await endpoint.handler(call)
    if isinstance(result, Response):
        return result
    response = json_response(result, endpoint.status)
    pages.put(key, mark, bytes(response.body))
    return response
