"""Small helpers for the media tests: uploading, looking into the database and the storage."""

from __future__ import annotations

import functools
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from starlette.testclient import TestClient

from media.models import Upload
from media.services import MediaService
from tests.conftest import Member

T = TypeVar("T")


def post_image(client: TestClient, member: Member | None, data: bytes, *, purpose: str | None = "post",
               filename: str = "photo.jpg", content_type: str = "image/jpeg",
               headers: dict[str, str] | None = None) -> Any:
    form = {"purpose": purpose} if purpose is not None else {}
    all_headers = {**(member.headers if member else {}), **(headers or {})}
    return client.post("/v1/media", files={"file": (filename, data, content_type)}, data=form, headers=all_headers)


def service(client: TestClient) -> MediaService:
    media = client.app.state.services.media  # type: ignore[attr-defined]
    assert isinstance(media, MediaService)
    return media


def call(client: TestClient, func: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """Run a coroutine function on the app's event loop."""
    portal = client.portal
    assert portal is not None
    return portal.call(functools.partial(func, *args, **kwargs))


def stored_keys(client: TestClient) -> set[str]:
    async def collect() -> set[str]:
        return {key async for key, _ in service(client).storage.keys()}

    return call(client, collect)


def rows(client: TestClient) -> list[Upload]:
    async def fetch() -> list[Upload]:
        return await Upload.all()

    return call(client, fetch)


def fetch(client: TestClient, url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET a variant URL as a client would: through the app, or straight from S3."""
    base = service(client).settings.public_url
    if url.startswith(base + "/"):
        r = client.get(urlsplit(url).path, headers=headers or {})
        return r.status_code, dict(r.headers), r.content
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as refused:
        with refused:
            return refused.code, {}, refused.read()
