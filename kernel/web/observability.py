"""One log line and one metric sample per request, and the Prometheus text for ``/metrics``.

The log line names the method, the route template (never the concrete path, which could carry a
case id), the status and the duration: no body, token, password or phone number ever reaches it.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kernel.web.problems import PROBLEM_TYPE

log = logging.getLogger("meiji.access")

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Request counts and a latency histogram per (method, route, status)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, int], int] = defaultdict(int)
        self.hist: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self.sums: dict[tuple[str, str], float] = defaultdict(float)
        self.counters: list[tuple[str, str, str, Callable[[], Mapping[str, int]]]] = []
        self.gauges: list[tuple[str, str, str, Callable[[], Mapping[str, int]]]] = []

    def count(self, name: str, description: str, label: str, read: Callable[[], Mapping[str, int]]) -> None:
        """A counter a room keeps, one value per ``label`` value, read each time the metrics are rendered."""
        self.counters.append((name, description, label, read))

    def gauge(self, name: str, description: str, label: str, read: Callable[[], Mapping[str, int]]) -> None:
        """A value that goes up and down, one per ``label`` value, read each time the metrics are rendered."""
        self.gauges.append((name, description, label, read))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.counts[(method, route, status)] += 1
        bucket = self.hist[(method, route)]
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                bucket[i] += 1
                break
        else:
            bucket[-1] += 1
        self.sums[(method, route)] += seconds

    def render(self) -> str:
        lines = ["# HELP meiji_requests_total Requests answered, by method, route and status.",
                 "# TYPE meiji_requests_total counter"]
        for (method, route, status), n in sorted(self.counts.items()):
            lines.append(f'meiji_requests_total{{method="{method}",route="{route}",status="{status}"}} {n}')
        lines += ["# HELP meiji_request_seconds Request latency, by method and route.",
                  "# TYPE meiji_request_seconds histogram"]
        for (method, route), counts in sorted(self.hist.items()):
            labels = f'method="{method}",route="{route}"'
            running = 0
            for bound, n in zip(BUCKETS, counts, strict=False):
                running += n
                lines.append(f'meiji_request_seconds_bucket{{{labels},le="{bound}"}} {running}')
            running += counts[-1]
            lines.append(f'meiji_request_seconds_bucket{{{labels},le="+Inf"}} {running}')
            lines.append(f"meiji_request_seconds_sum{{{labels}}} {self.sums[(method, route)]:.6f}")
            lines.append(f"meiji_request_seconds_count{{{labels}}} {running}")
        for kind, kept in (("counter", self.counters), ("gauge", self.gauges)):
            for name, description, label, read in kept:
                lines += [f"# HELP {name} {description}", f"# TYPE {name} {kind}"]
                lines += [f'{name}{{{label}="{value}"}} {n}' for value, n in read().items()]
        return "\n".join(lines) + "\n"


class AccessMiddleware:
    """Logs and measures every request; turns Starlette's plain-text 413 into problem+json."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        rewrite = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, rewrite
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = dict(message.get("headers", []))
                if status == 413 and headers.get(b"content-type", b"").startswith(b"text/plain"):
                    rewrite = True
                    body = orjson.dumps({"type": "https://meiji.dev/problems/413", "title": "Content Too Large",
                                         "status": 413,
                                         "detail": "The request body is larger than this route accepts."})
                    await send({"type": "http.response.start", "status": 413,
                                "headers": [(b"content-type", PROBLEM_TYPE.encode()),
                                            (b"content-length", str(len(body)).encode())]})
                    await send({"type": "http.response.body", "body": body})
                    return
            elif rewrite:
                return
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            seconds = time.perf_counter() - start
            route = scope.get("meiji.route", "unmatched")
            method = scope["method"]
            self.metrics.observe(method, route, status, seconds)
            log.info("%s %s %d %.1fms", method, route, status, seconds * 1000)
