"""Several storage calls at once or one by one: what each backend's ``put_all`` and ``copy_all`` use."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping

import anyio

from media.interfaces import PRIVATE_CACHE, StorageError


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


class OneByOne:
    """``put_all`` and ``copy_all`` for a backend whose calls gain nothing from running at once."""

    async def put(self, key: str, data: bytes, content_type: str, cache_control: str = PRIVATE_CACHE) -> None:
        raise NotImplementedError

    async def copy(self, source: str, target: str, cache_control: str) -> None:
        raise NotImplementedError

    async def put_all(self, objects: Mapping[str, bytes], content_type: str,
                      cache_control: str = PRIVATE_CACHE) -> None:
        await one_by_one(functools.partial(self.put, k, v, content_type, cache_control) for k, v in objects.items())

    async def copy_all(self, copies: Mapping[str, str], cache_control: str) -> None:
        await one_by_one(functools.partial(self.copy, source, target, cache_control)
                         for target, source in copies.items())
