"""The ``meiji`` command: serve, migrate, manage accounts and run the background jobs by hand."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from kernel import db
from kernel import settings as settings_module
from kernel.settings import Settings, SettingsError
from kernel.web.problems import Problem
from search.ownership import IndexOwned

if TYPE_CHECKING:
    from meiji.services import Services

Command = Callable[[argparse.Namespace, Settings], Awaitable[int]]


async def _with_app(settings: Settings, job: Callable[[Services], Awaitable[int]], *, owner: bool = False) -> int:
    """Run ``job`` with the database open and every backend built, as ``meiji serve`` has them.

    Only the indexer (``owner``) may own an embedded search index: every other command works
    beside a running server, so it reads the index and leaves its changes in the outbox.
    """
    from meiji.app import create_app
    from meiji.services import app_services

    app = create_app(settings.with_(background=False), index_owner=owner)
    app.state.owner_name = "meiji " + " ".join(arg for arg in sys.argv[1:3] if not arg.startswith("-"))
    app.state.applies_outbox = owner  # the indexer's job is the applying: no warning that nothing does
    async with app.router.lifespan_context(app):
        return await job(app_services(app.state))


async def cmd_db_migrate(args: argparse.Namespace, settings: Settings) -> int:
    await db.migrate(settings)
    print("migrations applied")
    return 0


async def cmd_accounts_create(args: argparse.Namespace, settings: Settings) -> int:
    from meiji.accounts import services

    password = args.password
    if password is None and not sys.stdin.isatty():
        # Scripts pipe the password: one line of standard input (never an argument, which ps shows).
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
        if not password:
            print("meiji: no password: give --password, or pipe one line on standard input", file=sys.stderr)
            return 2
    elif password is None:
        password = getpass.getpass("password: ")
        if password != getpass.getpass("again: "):
            print("meiji: the passwords differ", file=sys.stderr)
            return 2
    if not 8 <= len(password) <= 128:
        print("meiji: the password needs 8 to 128 characters", file=sys.stderr)
        return 2

    async def job(_: Services) -> int:
        account = await services.create_account(args.handle, password, date.fromisoformat(args.birth_date),
                                                True, role=args.role)
        print(f"created {account.role} {account.handle} (id {account.id})")
        return 0

    return await _with_app(settings, job)


async def cmd_media_sweep(args: argparse.Namespace, settings: Settings) -> int:
    import media.services

    async def job(services: Services) -> int:
        removed = await media.services.sweep(services.media, settings)
        print(f"swept {removed} uploads")
        return 0

    return await _with_app(settings, job)


async def cmd_index_run(args: argparse.Namespace, settings: Settings) -> int:
    import search.services

    holder = search.services.index_holder(settings)
    if holder is not None and not args.once:
        print(f"meiji: {holder} owns the embedded search index in {search.services.embedded_dir(settings)} "
              "and applies the outbox itself; run `meiji index run` while no server runs, or use "
              "MEIJI_SEARCH_URL=postgres for a separate indexer", file=sys.stderr)
        return 2

    async def wait(_: Services) -> int:
        applied = await search.services.wait_for_owner(settings)
        if applied is None:
            print(f"meiji: {holder} owns the search index and has not applied the outbox within 60 s",
                  file=sys.stderr)
            return 1
        print(f"{holder} owns the search index; it applied the {applied} pending changes")
        return 0

    async def job(services: Services) -> int:
        done = await search.services.run_indexer(services.search, services.documents, settings, once=args.once)
        print(f"indexed {done.indexed} documents, removed {done.removed} ({done.rows} outbox rows)")
        return 0

    if holder is not None:
        return await _with_app(settings, wait)
    return await _with_app(settings, job, owner=True)


async def cmd_search_reindex(args: argparse.Namespace, settings: Settings) -> int:
    import search.services

    async def job(services: Services) -> int:
        # Built aside in a new generation, which no process writes yet: safe beside a running server.
        count = await search.services.reindex(services.search, services.documents, settings,
                                              progress=not args.quiet)
        holder = search.services.index_holder(settings)
        then = (f"; {holder} reads it from its next call and applies changes made meanwhile" if holder
                else "; changes made meanwhile are applied when the server starts"
                if search.services.embedded_dir(settings) else "")
        print(f"reindexed {count} documents{then}")
        return 0

    return await _with_app(settings, job)


async def cmd_moderation_tick(args: argparse.Namespace, settings: Settings) -> int:
    import moderation.services

    async def job(services: Services) -> int:
        done = await moderation.services.tick(services)
        print("moderation timers run: " + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in done.items()))
        return 0

    return await _with_app(settings, job)


async def cmd_delivery_run(args: argparse.Namespace, settings: Settings) -> int:
    from meiji.delivery import worker

    async def job(_: object) -> int:
        done = await worker.run(settings, once=args.once)
        print(f"delivered {done.delivered}, to retry {done.retried}, given up {done.failed}, "
              f"nowhere to send {done.skipped}")
        return 0

    return await _with_app(settings, job)


async def _demo_figures() -> tuple[int, ...]:
    from content.models.diaries import Diary, DiaryEntry
    from content.models.reference import Clinic, Doctor, Procedure
    from content.models.reviews import Review
    from meiji.accounts.models import Account

    return tuple([await model.all().count() for model in (Procedure, Clinic, Doctor, Diary, DiaryEntry, Review,
                                                          Account)])


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    import meiji.demo

    async def job(services: Services) -> int:
        before = await _demo_figures()
        summary = await meiji.demo.load(services)
        if await _demo_figures() == before and before[3]:
            members = ", ".join(handle for handle, *_ in meiji.demo.MEMBERS)
            print(f"the demo data is already loaded ({before[3]} diaries, {before[5]} reviews): nothing added; "
                  f"sign in as {members} with the password {meiji.demo.DEMO_PASSWORD}")
        else:
            print(summary)
        return 0

    return await _with_app(settings, job)


def serve(args: argparse.Namespace, settings: Settings) -> int:
    import search.services
    from meiji import listener, preflight

    if args.workers > 1 and db.is_sqlite(settings):
        print("meiji: the embedded default (SQLite, local index) runs one worker; set MEIJI_DATABASE_URL, "
              "MEIJI_STORAGE_URL and MEIJI_SEARCH_URL to production backends for more", file=sys.stderr)
        return 2
    if args.workers > 1 and search.services.embedded_dir(settings) is not None:
        print("meiji: an embedded search index (MEIJI_SEARCH_URL tantivy or whoosh) has one writer, so one "
              "worker; set MEIJI_SEARCH_URL=postgres for more", file=sys.stderr)
        return 2
    try:
        # Before anything starts: a busy port, an unreachable database or storage is one line, exit 2.
        preflight.check_port(args.host, args.port)
        asyncio.run(preflight.check_backends(settings))
    except preflight.NotReady as exc:
        print(f"meiji: {exc}", file=sys.stderr)
        return 2
    holder = search.services.index_holder(settings)
    if holder is not None:
        print(f"meiji: {holder} owns the embedded search index in {search.services.embedded_dir(settings)}; "
              "stop it first (one server per data directory, and no `meiji index run` beside it)", file=sys.stderr)
        return 2
    settings_module.follow_server(args.host, args.port)
    # uvicorn.run, on a listening socket whose connections have Nagle's algorithm off (meiji/listener.py).
    return listener.serve("meiji.app:create_app", factory=True, host=args.host, port=args.port,
                          workers=args.workers,
                          # asyncio's own loop, not uvloop: uvloop takes one waiting connection each time it
                          # looks at the listening socket, so under load a burst of new connections
                          # waited seconds to be taken (64 at once: the last 1.8-3.3 s). Measured under
                          # the mixed load it also served more with a shorter tail (bench/README.md,
                          # 2026-11-30).
                          loop="asyncio", http="httptools", access_log=False, log_level=settings.log_level,
                          # The client's address is read from X-Forwarded-For by the app, and only from
                          # MEIJI_TRUSTED_PROXIES: uvicorn's own reading would believe any local process.
                          proxy_headers=False, lifespan="on")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="meiji", description="meiji (美记): a headless content and community "
                                  "service for a medical-aesthetics platform. Settings come from MEIJI_* "
                                  "environment variables (see README).")
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="apply migrations (embedded default) and serve the HTTP API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (1 on SQLite)")
    p.set_defaults(sync=serve)

    p = sub.add_parser("db", help="database commands")
    dbsub = p.add_subparsers(dest="db_command", required=True)
    m = dbsub.add_parser("migrate", help="apply every pending migration")
    m.set_defaults(run=cmd_db_migrate)

    p = sub.add_parser("accounts", help="account commands")
    asub = p.add_subparsers(dest="accounts_command", required=True)
    c = asub.add_parser("create", help="create an account, e.g. the first admin")
    c.add_argument("handle")
    c.add_argument("--role", choices=("member", "editor", "moderator", "admin"), default="member")
    c.add_argument("--password", help="prompted for when not given")
    c.add_argument("--birth-date", default="1990-01-01", help="YYYY-MM-DD (default 1990-01-01)")
    c.set_defaults(run=cmd_accounts_create)

    p = sub.add_parser("media", help="media commands")
    msub = p.add_subparsers(dest="media_command", required=True)
    s = msub.add_parser("sweep", help="delete released and expired uploads and orphan objects")
    s.set_defaults(run=cmd_media_sweep)

    p = sub.add_parser("index", help="search indexer")
    isub = p.add_subparsers(dest="index_command", required=True)
    r = isub.add_parser("run", help="drain the search outbox continuously (production)")
    r.add_argument("--once", action="store_true", help="drain once and exit")
    r.set_defaults(run=cmd_index_run)

    p = sub.add_parser("search", help="search index commands")
    ssub = p.add_subparsers(dest="search_command", required=True)
    r = ssub.add_parser("reindex", help="rebuild the index from the database, then swap it in")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(run=cmd_search_reindex)

    p = sub.add_parser("moderation", help="moderation commands")
    osub = p.add_subparsers(dest="moderation_command", required=True)
    t = osub.add_parser("tick", help="run due moderation timers once (safe from cron)")
    t.set_defaults(run=cmd_moderation_tick)

    p = sub.add_parser("delivery", help="notifications that leave the service (webhooks, email)")
    dsub = p.add_subparsers(dest="delivery_command", required=True)
    d = dsub.add_parser("run", help="deliver the outbox continuously (production: its own process)")
    d.add_argument("--once", action="store_true", help="deliver what is due once and exit (cron)")
    d.set_defaults(run=cmd_delivery_run)

    p = sub.add_parser("demo", help="load a small, realistic demo data set")
    p.set_defaults(run=cmd_demo)
    return top


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        settings = settings_module.load()
    except SettingsError as exc:
        print(f"meiji: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    sync: Any = getattr(args, "sync", None)
    if sync is not None:
        raise SystemExit(sync(args, settings))
    stopped: list[int] = []
    try:
        code = asyncio.run(_checked(args, settings, stopped))
    except asyncio.CancelledError:
        if not stopped:
            raise
        code = 128 + stopped[0]  # as a shell reports a command a signal stopped
    except Problem as exc:
        print(f"meiji: {exc.detail}", file=sys.stderr)
        code = 1
    except (db.DatabaseUnavailable, IndexOwned) as exc:
        print(f"meiji: {exc}", file=sys.stderr)
        code = 2
    raise SystemExit(code)


async def _checked(args: argparse.Namespace, settings: Settings, stopped: list[int]) -> int:
    # SIGTERM (systemd, docker stop) and SIGINT stop a command the way Ctrl-C in a terminal does:
    # its work is cancelled and it cleans up (the index it owns released, the database closed). Set
    # here, not inherited: a command started in the background of a script ignores SIGINT otherwise.
    loop, command = asyncio.get_running_loop(), asyncio.current_task()
    assert command is not None

    def stop(signum: int) -> None:
        stopped.append(signum)
        command.cancel()

    if threading.current_thread() is threading.main_thread():  # only there can signals be handled
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop, signum)
    # An unreachable database is one line naming MEIJI_DATABASE_URL, not a traceback from deep inside.
    await db.check(settings)
    code: int = await args.run(args, settings)
    return code
