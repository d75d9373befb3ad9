"""The composition root: builds each room's backends from settings and mounts its routes."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import hmac
import ipaddress
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

import content.routes
import content.services
import media.routes
import media.services
import moderation.routes
import moderation.services
import search.routes
import search.services
from content.documents import ContentDocuments
from content.interfaces import ContentServices
from kernel import db
from kernel import settings as settings_module
from kernel.settings import Settings
from kernel.web import idempotency, reference
from kernel.web.endpoints import Api, Call, Endpoint, client_address, json_response
from kernel.web.headers import SecuredStarlette, hygiene
from kernel.web.kept import KeptPages
from kernel.web.observability import AccessMiddleware, Metrics
from kernel.web.openapi import document
from kernel.web.problems import EXCEPTION_HANDLERS, Problem
from kernel.web.ratelimit import RateLimiter, SharedRateLimiter
from kernel.web.routing import Routes, flattened
from kernel.web.services import KernelServices
from media.interfaces import MediaServices
from meiji import __version__, allocator, background, preflight, privacy
from meiji.accounts import passwords, security_routes
from meiji.accounts import routes as account_routes
from meiji.accounts import services as account_services
from meiji.accounts.authors import AccountDirectory
from meiji.delivery import routes as delivery_routes
from meiji.delivery import worker as delivery_worker
from meiji.delivery.outbox import DeliveryOutbox
from meiji.examples import REQUEST_EXAMPLES
from meiji.services import Services, app_services, services_of
from moderation.interfaces import ModerationServices
from search.interfaces import SearchServices

log = logging.getLogger("meiji")

ops = Api("operations")


# The liveness probe and the scraper are outside the per-address limit: an orchestrator whose probe
# shares an address with busy clients (a NAT, the same node) must not read a 429 as a dead process.
# Both cost nothing to answer; /readyz asks the database, the storage and the index, so it keeps it.
@ops.route("GET", "/healthz", shared_limit=False)
async def healthz(call: Call[None, None]) -> object:
    """The process is up."""
    return {"status": "ok"}


@ops.route("GET", "/readyz", errors=(503,))
async def readyz(call: Call[None, None]) -> Response:
    """The database, the storage and the search index answer; a 503 gives a reason per failed check, without secrets."""
    checks: dict[str, str] = {}
    reasons: dict[str, str] = {}
    services = services_of(call)
    for name, probe in (("database", db.ping), ("storage", services.media.ping),
                        ("search", services.search.ping)):
        try:
            await asyncio.wait_for(probe(), timeout=5)
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready", named below
            # In words, never with a URL, key or password: the reason is shown to whoever asks.
            reasons[name] = (db.reason(exc) if name == "database" else preflight.storage_reason(exc)
                             if name == "storage" else type(exc).__name__)
            log.warning("readiness check %s failed: %s", name, reasons[name])
            checks[name] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    body: dict[str, object] = {"status": "ok" if ready else "unavailable", "checks": checks}
    if reasons:
        body["reasons"] = reasons
    return json_response(body, 200 if ready else 503)


def metrics_allowed(settings: Settings, authorization: str | None, address: str) -> bool:
    """The scraper's bearer token, or an address inside MEIJI_METRICS_NETWORKS (loopback by default)."""
    if settings.metrics_token and authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), settings.metrics_token.encode()):
            return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.metrics_networks)


@ops.route("GET", "/metrics", errors=(404,), token_auth=False, shared_limit=False)
async def metrics(call: Call[None, None]) -> Response:
    """Request counts and latencies per route, in Prometheus text format (token or allowed networks)."""
    request = call.request
    # Behind a trusted load balancer its own address would be every caller's: use the forwarded one.
    address = client_address(request)
    if not metrics_allowed(call.settings, request.headers.get("authorization"), address):
        # Counts per route (notices, moderation) are nobody else's business: look like no route at all.
        raise Problem(404, "No route or resource at this path.")
    return PlainTextResponse(services_of(call).metrics.render(), media_type="text/plain; version=0.0.4")


@ops.route("GET", "/openapi.json")
async def openapi(call: Call[None, None]) -> Response:
    """This document: OpenAPI 3.1, generated from the request and response schemas."""
    return json_response(services_of(call).openapi)


@ops.route("GET", "/docs")
async def docs(call: Call[None, None]) -> Response:
    """A browsable reference of this document (Swagger UI, served by the app itself: an HTML page)."""
    return reference.page()


@ops.route("GET", "/docs/{file}", errors=(404,))
async def docs_asset(call: Call[None, None]) -> Response:
    """The scripts, styles and icon of the ``/docs`` page."""
    return reference.asset(str(call.path["file"]))


def endpoints_of(routes: Iterable[BaseRoute]) -> list[Endpoint]:
    found: list[Endpoint] = []
    for route in flattened(routes):
        if isinstance(route, Route):
            found.extend(getattr(route.endpoint, "endpoints", {}).values())
    return found


def all_routes() -> list[BaseRoute]:
    return [*ops.routes, *account_routes.routes, *security_routes.routes, *delivery_routes.routes, *privacy.routes,
            *content.routes.routes, *media.routes.routes, *search.routes.routes, *moderation.routes.routes]


def background_jobs(app: Starlette) -> list[tuple[str, float, Callable[[], Awaitable[object]]]]:
    s = app_services(app.state).settings

    def current() -> Services:
        # Read at every round, as a test may give the app a changed copy of its services.
        return app_services(app.state)

    upgrade = search.services.Upgrade()
    return [
        ("indexer", s.indexer_seconds, lambda: search.services.drain(current().search, current().documents)),
        ("search-upgrade", s.scheduler_seconds, lambda: upgrade(current().search, current().documents, s)),
        ("media-sweep", s.scheduler_seconds, lambda: media.services.sweep(current().media, s)),
        ("moderation-tick", s.scheduler_seconds, lambda: moderation.services.tick(current())),
        ("idempotency", s.scheduler_seconds, lambda: idempotency.forget_expired(s.idempotency_seconds)),
        ("rate-windows", s.scheduler_seconds, lambda: current().rate_limiter.forget_expired()),
        ("delivery", s.delivery_seconds, lambda: delivery_worker.run_once(s)),
    ]


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    services = app_services(app.state)
    settings = services.settings
    owner = services.index_owner and search.services.embedded_dir(settings) is not None
    if owner:
        # One process writes an embedded index; wait a little for a ``meiji index run --once``.
        search.services.claim_index(settings, app.state.owner_name, wait=10)
        if not settings.background and not app.state.applies_outbox:
            log.warning("MEIJI_BACKGROUND is off while this process owns the embedded search index: "
                        "nothing applies the search outbox until it is turned on")
    try:
        if db.is_sqlite(settings) and await db.pending(settings):
            # The embedded default migrates itself; production runs ``meiji db migrate`` explicitly.
            await db.migrate_apart(settings)
        await db.open_database(settings)
        await app.state.on_start()
    except BaseException:
        # Interrupted while starting (Ctrl-C during start-up): close the database too, or its
        # connection's thread keeps the process alive after the interrupt.
        with contextlib.suppress(Exception):
            await db.close_database()
        if owner:
            search.services.release_index(settings)
        raise
    # Start-up objects (models, schemas, dictionaries) live for the whole process: keep them out of
    # the collector's scans.
    gc.collect()
    gc.freeze()
    # On PostgreSQL, of several workers and hosts only the one holding the background lock runs them.
    tasks = [asyncio.create_task(background.run_once_among_workers(settings, background_jobs(app)),
                                 name="background")] if settings.background else []
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await app_services(app.state).search.close()
        await app_services(app.state).media.close()
        await db.close_database()
        if owner:
            search.services.release_index(settings)


def create_app(settings: Settings | None = None, *, index_owner: bool = True) -> Starlette:
    """The ASGI application for ``settings`` (read from the environment when not given).

    ``index_owner=False`` (CLI commands): an embedded search index is only read; changes reach it
    through the outbox, applied by the process that owns it (the server).
    """
    settings = settings or settings_module.load()
    # Pillow's debug log prints every EXIF tag of an upload, its GPS position included: keep it quiet
    # even when MEIJI_LOG_LEVEL=debug.
    logging.getLogger("PIL").setLevel(logging.INFO)
    allocator.limit_arenas()
    # Every notification's deliveries are written in its own transaction, whichever app wrote it.
    moderation.services.notifications.deliver_through(DeliveryOutbox())
    metrics_store = Metrics()
    routes = all_routes()
    # The body limit sits inside the access middleware, which turns its plain-text 413 into
    # problem+json; a route's own limit (uploads) replaces this app-wide one.
    # Security headers wrap everything, 500s included; a refused Host or CORS origin is logged.
    app = SecuredStarlette(routes=[Routes(routes)], lifespan=lifespan, exception_handlers=dict(EXCEPTION_HANDLERS),
                           middleware=[Middleware(AccessMiddleware, metrics=metrics_store),
                                       *hygiene(settings.cors_origins, settings.trusted_hosts),
                                       Middleware(RequestBodyLimitMiddleware, max_body_size=settings.max_body_bytes)])
    # No route ends in a slash: ``/v1/notices/`` is an unknown path (404 problem+json), not an
    # empty-bodied 307 to ``/v1/notices`` that clients would follow with a changed method or none.
    app.router.redirect_slashes = False
    attachments = media.services.build_attachments(settings)
    services = Services(
        settings=settings,
        metrics=metrics_store,
        # Every process on PostgreSQL shares the windows; the embedded default keeps them in memory.
        rate_limiter=(RateLimiter(settings.rate_limits) if db.is_sqlite(settings)
                      else SharedRateLimiter(settings.rate_limits)),
        authenticate=functools.partial(account_services.authenticate, idle_days=settings.session_idle_days),
        passwords=passwords.configure(settings.password_workers, settings.password_queue),
        media=attachments,
        search=search.services.build_index(settings, owner=index_owner),
        documents=ContentDocuments(),
        accounts=AccountDirectory(attachments),
        case_access=moderation.services.build_case_access(),
        photo_review=moderation.services.build_photo_review(settings),
        notifier=moderation.services.build_notifier(),
        screener=moderation.services.build_screener(settings, attachments),
        profile_counts=content.services.public_counts,
        openapi=document(endpoints_of(routes), title="meiji", version=__version__, examples=REQUEST_EXAMPLES),
        index_owner=index_owner,
        kept_pages=KeptPages(settings.lists_kept),
    )
    _seams(services)
    app.state.services = services
    answers = search.services.kept_answers(services.search)
    if answers is not None:  # what the kept pages of hits save, for tuning MEIJI_SEARCH_RESULTS_KEPT
        metrics_store.count("meiji_search_answers_total", "Searches answered from a kept page of hits or by "
                            "the engine, by answer.", "answer", lambda: answers)
    metrics_store.count("meiji_list_answers_total", "Answers of list routes given again from a kept page or "
                        "computed, by answer, for tuning MEIJI_LISTS_KEPT.", "answer",
                        lambda: services.kept_pages.outcomes)
    metrics_store.gauge("meiji_memory_bytes", "Bytes the C allocator holds, by part: in use, freed but kept, and "
                        "SQLite's share of what is in use.", "part", allocator.Holdings())
    lines = search.services.analysed_lines(services.search)
    if lines is not None:  # what the kept line tokens save the indexer, for tuning MEIJI_SEARCH_LINES_KEPT
        metrics_store.count("meiji_search_lines_total", "Lines of documents indexed in this process, by whether "
                            "their tokens were kept from an earlier analysis or analysed anew.", "line", lambda: lines)
    # Lifecycle, not collaborators: who owns the index (in messages to other processes) and what
    # runs once the database is open.
    app.state.owner_name = "meiji serve"
    app.state.applies_outbox = False  # True when the process's own job drains it (``meiji index run``)

    async def on_start() -> None:
        current = app_services(app.state)
        await current.search.set_vocabulary(await current.documents.vocabulary())

    app.state.on_start = on_start
    return app


def _seams(
    services: Services,
) -> tuple[KernelServices, ContentServices, MediaServices, SearchServices, ModerationServices]:
    """Every room's view of the services object, in one place: mypy proves ``Services`` gives each
    room (and the kernel) what its Protocol asks for, so a missing or mistyped part fails here."""
    return services, services, services, services, services

