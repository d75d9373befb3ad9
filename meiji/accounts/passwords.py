"""Password hashing on a small pool of its own, so a sign-in flood cannot take memory or reads down.

argon2id holds its whole memory cost while it runs. On anyio's shared 40-thread pool, thirty wrong
sign-ins at once took the server from 145 MB to 1.7 GB and reads from 4 ms to 8 s. Here at most
``workers`` hashes run at once (by default half the CPUs, so the other half keeps serving reads) and
at most ``queue`` more wait; anything beyond is refused at once with 503 and ``Retry-After``.

Parameters: m=19 MiB, t=2, p=1, the first of the equivalent argon2id settings OWASP's password
storage guidance lists. Measured on the project's 2-core machine: 29 ms per hash and 19 MiB while
it runs, where the former 64 MiB, t=3, p=4 took 264 ms and 64 MiB. Hashes made with other
parameters still verify (argon2 reads them from the hash) and are replaced on the next sign-in.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher

from kernel.web.problems import Problem

T = TypeVar("T")

MEMORY_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1


def production_hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM)


class Busy(Problem):
    """Every hashing slot and queue place is taken: 503 with the wait that should free one."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(503, f"Too many sign-ins are being checked right now; try again in {retry_after} "
                              "seconds.", headers={"Retry-After": str(retry_after)})


class HashingPool:
    """A bounded pool for CPU- and memory-heavy password work: ``workers`` running, ``queue`` waiting."""

    def __init__(self, workers: int, queue: int) -> None:
        self.workers = workers
        self.queue = queue
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="password")
        self._lock = threading.Lock()
        self._admitted = 0
        # A running mean of one job's duration, for an honest Retry-After.
        self._seconds = 0.05

    @property
    def admitted(self) -> int:
        """Jobs running or waiting now."""
        return self._admitted

    async def run(self, job: Callable[[], T]) -> T:
        """``job()`` on a pool thread; 503 (``Busy``) at once when the pool and its queue are full."""
        with self._lock:
            if self._admitted >= self.workers + self.queue:
                raise Busy(self._retry_after())
            self._admitted += 1
        try:
            future = self._executor.submit(self._timed, job)
        except BaseException:
            self._release()
            raise
        # The slot is given back when the job ends, not when its caller stops waiting: a client that
        # hangs up does not free memory a hash still holds.
        future.add_done_callback(lambda _: self._release())
        return await asyncio.wrap_future(future)

    def _timed(self, job: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return job()
        finally:
            self._seconds = 0.8 * self._seconds + 0.2 * (time.perf_counter() - started)

    def _release(self) -> None:
        with self._lock:
            self._admitted -= 1

    def _retry_after(self) -> int:
        # The time the current backlog needs to drain, rounded up to whole seconds.
        return max(1, math.ceil(self._admitted * self._seconds / self.workers))

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


_pool: HashingPool | None = None


def configure(workers: int, queue: int) -> HashingPool:
    """Size the process's pool (the app does it from settings at start); returns the pool."""
    global _pool
    if _pool is not None and (_pool.workers, _pool.queue) == (workers, queue):
        return _pool
    if _pool is not None:
        _pool.shutdown()
    _pool = HashingPool(workers, queue)
    return _pool


def pool() -> HashingPool:
    """The process's pool; command-line tools get a default one."""
    from kernel.settings import Settings

    return _pool if _pool is not None else configure(Settings().password_workers, Settings.password_queue)
