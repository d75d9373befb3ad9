"""Fixed-window rate limits per token and per address, kept in the process.

The embedded default runs one worker, so one process sees every request. Several workers each
keep their own windows, which multiplies the allowance by the worker count; that is documented.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping

from kernel.settings import RateLimit
from kernel.web.problems import Problem


class RateLimiter:
    """Counts hits per (bucket, key) in windows of the bucket's length."""

    def __init__(self, limits: Mapping[str, RateLimit] | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = dict(limits) if limits is not None else None
        self.clock = clock
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}

    def hit(self, bucket: str, key: str) -> None:
        """Count one request; 429 with Retry-After when the window is full."""
        if self.limits is None or bucket not in self.limits:
            return
        limit = self.limits[bucket]
        now = self.clock()
        start, count = self._windows.get((bucket, key), (now, 0))
        if now - start >= limit.seconds:
            start, count = now, 0
        if count >= limit.count:
            retry = max(1, math.ceil(limit.seconds - (now - start)))
            raise Problem(429, _detail(bucket, limit, retry), headers={"Retry-After": str(retry)})
        self._windows[(bucket, key)] = (start, count + 1)
        if len(self._windows) > 100_000:
            self._forget(now)

    def _forget(self, now: float) -> None:
        assert self.limits is not None
        for (bucket, key), (start, _) in list(self._windows.items()):
            if now - start >= self.limits[bucket].seconds:
                del self._windows[(bucket, key)]


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
