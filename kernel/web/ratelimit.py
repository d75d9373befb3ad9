"""Fixed-window rate limits per token, address and account.

The embedded default runs one process, which keeps its windows in memory (``RateLimiter``). On
PostgreSQL several processes on several hosts answer requests, so the windows live in the database
(``SharedRateLimiter``): a hit is one upsert that counts it and returns the window's count, so N
workers allow the count once, not N times.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping

from kernel.settings import RateLimit
from kernel.web.models import RateWindow
from kernel.web.problems import Problem


class RateLimiter:
    """Counts hits per (bucket, key) in windows of the bucket's length."""

    def __init__(self, limits: Mapping[str, RateLimit] | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = dict(limits) if limits is not None else None
        self.clock = clock
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}

    async def hit(self, bucket: str, key: str) -> None:
        """Count one request; 429 with Retry-After when the window is full."""
        if self.limits is None or bucket not in self.limits:
            return
        limit = self.limits[bucket]
        retry = await self.take(bucket, key, limit)
        if retry is not None:
            raise Problem(429, _detail(bucket, limit, retry), headers={"Retry-After": str(retry)})

    async def take(self, bucket: str, key: str, limit: RateLimit) -> int | None:
        """Count the hit; None when it fits, else the seconds until the window ends."""
        now = self.clock()
        start, count = self._windows.get((bucket, key), (now, 0))
        if now - start >= limit.seconds:
            start, count = now, 0
        if count >= limit.count:
            return max(1, math.ceil(limit.seconds - (now - start)))
        self._windows[(bucket, key)] = (start, count + 1)
        if len(self._windows) > 100_000:
            self._forget(now)
        return None

    async def forget_expired(self) -> int:
        """Windows kept in the process are forgotten as they fill; nothing to delete."""
        return 0

    def _forget(self, now: float) -> None:
        assert self.limits is not None
        for (bucket, key), (start, _) in list(self._windows.items()):
            if now - start >= self.limits[bucket].seconds:
                del self._windows[(bucket, key)]


# A hit counts itself and reads the window's count in one statement, whatever the concurrency: the
# unique (bucket, key, window_start) index makes concurrent first hits of a window meet in one row.
_UPSERT = ('INSERT INTO rate_window (bucket, key, window_start, n, expires_at) VALUES ($1, $2, $3, 1, $4) '
           'ON CONFLICT (bucket, key, window_start) DO UPDATE SET n = rate_window.n + 1 RETURNING n')


class SharedRateLimiter(RateLimiter):
    """Windows in PostgreSQL, shared by every process and host using the database.

    Windows are fixed and aligned to the epoch (every process agrees where one starts without
    asking); a hit past the count is still counted, which costs nothing and keeps one statement.
    """

    def __init__(self, limits: Mapping[str, RateLimit] | None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(limits, clock)
        # Windows this process saw full, until they end: a flood of refused requests (the case limits
        # exist for) is answered without a database round trip each. A full window stays full.
        self._full: dict[tuple[str, str], float] = {}

    async def take(self, bucket: str, key: str, limit: RateLimit) -> int | None:
        now = self.clock()
        full_until = self._full.get((bucket, key))
        if full_until is not None and now < full_until:
            return max(1, math.ceil(full_until - now))
        start = int(now // limit.seconds) * limit.seconds
        end = start + limit.seconds
        rows = await RateWindow._meta.db.execute_query_dict(_UPSERT, [bucket, key[:80], start, end])
        if int(rows[0]["n"]) <= limit.count:
            return None
        if len(self._full) > 100_000:
            self._full = {k: until for k, until in self._full.items() if until > now}
        self._full[(bucket, key)] = end
        return max(1, math.ceil(end - now))

    async def forget_expired(self) -> int:
        """Delete the windows that have ended (the scheduler's round)."""
        return await RateWindow.filter(expires_at__lt=int(self.clock())).delete()


def _detail(bucket: str, limit: RateLimit, retry: int) -> str:
    """Say which limit was met, when to come back, and that the operator may change it.

    Someone trying the service from one address meets the sign-up limit first; the answer itself
    names the setting rather than leaving them to find it in the documentation.
    """
    minutes = f" (about {math.ceil(retry / 60)} minutes)" if retry >= 120 else ""
    return (f"Too many requests of this kind ({bucket}: {limit.count} per {limit.seconds} seconds); "
            f"try again in {retry} seconds{minutes}. The operator sets these limits with "
            f"MEIJI_RATE_LIMITS, e.g. MEIJI_RATE_LIMITS={bucket}={limit.count * 10}/{limit.seconds}, "
            f"or MEIJI_RATE_LIMITS=off.")
