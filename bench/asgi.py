"""An application driven in this process, without a socket: its lifespan, and requests as plain calls.

The profiles (``bench/profiles.py``) use it so that what they time is the application alone: no
client library, no network, one request at a time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

Message = dict[str, Any]


class InProcess:
    """One ASGI application with its lifespan run; ``call`` sends one request and returns status and body."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self._lifespan: asyncio.Task[None] | None = None
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._outbox: asyncio.Queue[Message] = asyncio.Queue()

    async def __aenter__(self) -> InProcess:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}
        self._lifespan = asyncio.create_task(self.app(scope, self._inbox.get, self._outbox.put))
        await self._inbox.put({"type": "lifespan.startup"})
        answer = await self._outbox.get()
        if answer["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"the application did not start: {answer}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._inbox.put({"type": "lifespan.shutdown"})
        await self._outbox.get()
        if self._lifespan is not None:
            await self._lifespan

    async def call(self, method: str, path: str, body: object = None,
                   headers: Mapping[str, str] | None = None) -> tuple[int, Any]:
        """The status and the decoded JSON body."""
        status, raw = await self.raw(method, path, body, headers)
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw

    async def raw(self, method: str, path: str, body: object = None, headers: Mapping[str, str] | None = None,
                  content_type: str = "application/json") -> tuple[int, bytes]:
        """The status and the body as sent (what a profile should time: no decoding on our side).
        ``body`` is sent as JSON, or as it is when it is bytes (a multipart form: ``content_type``)."""
        raw_path, _, query = path.partition("?")
        # As a client sends it: percent-encoded UTF-8 (a raw 双眼皮 would be read as Latin-1).
        query = quote(query, safe="=&%+")
        payload = (b"" if body is None else body if isinstance(body, bytes)
                   else json.dumps(body, ensure_ascii=False).encode())
        head = [(b"host", b"127.0.0.1"), (b"user-agent", b"meiji-bench")]
        if body is not None:
            head += [(b"content-type", content_type.encode()), (b"content-length", str(len(payload)).encode())]
        head += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": raw_path, "raw_path": raw_path.encode(), "query_string": query.encode(),
                 "root_path": "", "headers": head, "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 80),
                 "state": dict(self.state)}
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if sent:
                await asyncio.Event().wait()  # the request has no more body: wait for the disconnect that never comes
            sent = True
            return {"type": "http.request", "body": payload, "more_body": False}

        status = 0
        chunks: list[bytes] = []

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)
