"""Security headers on every answer, and problem+json for Starlette's own plain-text refusals.

The service answers JSON to apps, yet a browser may still open an answer (a link in a chat, a
``/docs`` visitor): every answer forbids sniffing, framing, referrers and any active content, and
private answers (to a request with a token or a case token, to any write, and every problem) are
never stored by a cache. A route may set its own ``Content-Security-Policy`` (the ``/docs`` page runs its own
scripts) or ``Cache-Control`` (public media files): those are kept, except that a private answer
may only stay cacheable when the route said ``public`` itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus

import orjson
from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kernel.web.problems import PROBLEM_TYPE

# Nothing may load, run, embed or frame: a JSON or problem answer opened in a browser stays inert.
STRICT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": STRICT_CSP,
    "X-Frame-Options": "DENY",
}

# Requests carrying these act for someone: their answers are theirs alone.
CREDENTIALS = ("authorization", "x-case-token")


def is_private(scope: Scope) -> bool:
    """Whether the answer is the caller's alone: a request with credentials, or any write (a sign-in's
    token, a new notice's case token)."""
    if scope["method"] not in ("GET", "HEAD"):
        return True
    headers = Headers(scope=scope)
    return any(headers.get(name) for name in CREDENTIALS)


class SecurityHeaders:
    """Adds the headers above to every HTTP answer; rewrites plain-text 4xx answers as problem+json."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = is_private(scope)
        swallow = False

        async def send_secured(message: Message) -> None:
            nonlocal swallow
            if message["type"] == "http.response.start":
                status: int = message["status"]
                headers = MutableHeaders(scope=message)
                if 400 <= status < 500 and headers.get("content-type", "").startswith("text/plain"):
                    # Starlette's middleware refuse in plain text (a bad Host, a refused CORS origin).
                    swallow = True
                    await self._problem(status, message, send, private)
                    return
                self._secure(headers, status, private)
            elif swallow:
                return
            await send(message)

        await self.app(scope, receive, send_secured)

    @staticmethod
    def _secure(headers: MutableHeaders, status: int, private: bool) -> None:
        for name, value in ALWAYS.items():
            headers.setdefault(name, value)
        problem = headers.get("content-type", "").startswith(PROBLEM_TYPE)
        cache = headers.get("cache-control", "")
        if "no-store" in cache:
            return
        if problem or status >= 500 or (private and "public" not in cache):
            headers["Cache-Control"] = "no-store"

    async def _problem(self, status: int, start: Message, send: Send, private: bool) -> None:
        detail = {400: "The Host header is not one this service answers to, or a CORS request came from an "
                       "origin that MEIJI_CORS_ORIGINS does not allow."}.get(status, "The request was refused.")
        body = orjson.dumps({"type": f"https://meiji.dev/problems/{status}", "title": HTTPStatus(status).phrase,
                             "status": status, "detail": detail})
        headers = MutableHeaders(raw=[(k, v) for k, v in start.get("headers", [])
                                      if k.lower() not in (b"content-type", b"content-length")])
        headers["Content-Type"] = PROBLEM_TYPE
        headers["Content-Length"] = str(len(body))
        self._secure(headers, status, private)
        await send({"type": "http.response.start", "status": status, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})


class SecuredStarlette(Starlette):
    """Starlette with ``SecurityHeaders`` outside everything, so its 500 answers carry them too."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


# What a browser app on an allowed origin may send and read: the contract's headers, nothing more.
CORS_REQUEST_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "If-Match", "If-None-Match",
                        "X-Case-Token")
CORS_EXPOSED_HEADERS = ("ETag", "Location", "Retry-After")


def hygiene(origins: Sequence[str], hosts: Sequence[str]) -> list[Middleware]:
    """Trusted hosts (``MEIJI_TRUSTED_HOSTS``) and, when origins are allowed, CORS (``MEIJI_CORS_ORIGINS``)."""
    # An API answers no redirect to www.: a wrong host is a 400, like any other bad input.
    stack = [Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts), www_redirect=False)]
    if origins:
        # Bearer tokens, not cookies: credentials stay off, so "*" cannot leak a session.
        stack.append(Middleware(CORSMiddleware, allow_origins=list(origins), allow_credentials=False,
                                allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
                                allow_headers=list(CORS_REQUEST_HEADERS),
                                expose_headers=list(CORS_EXPOSED_HEADERS), max_age=600))
    return stack
