"""Several storage calls at once or one by one: what each backend's ``put_all`` and ``copy_all`` use."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import anyio

from media.interfaces import StorageError


async def one_by_one(calls: Iterable[Callable[[], Awaitable[None]]]) -> None:
    """Run storage calls in turn (a local disk: nothing to overlap, and no task to schedule)."""
    for call in calls:
        await call()


async def all_at_once(calls: Iterable[Callable[[], Awaitable[None]]]) -> None:
    """Run storage calls concurrently (over a network); the first failure is raised once all end."""
    failures: list[BaseException] = []

    async def run(call: Callable[[], Awaitable[None]]) -> None:
        try:
            await call()
        except (StorageError, OSError) as exc:
            failures.append(exc)

    async with anyio.create_task_group() as group:
        for call in calls:
            group.start_soon(run, call)
    if failures:
        raise failures[0]
