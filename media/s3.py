"""The S3 backend through aioboto3: AWS, MinIO, SeaweedFS, R2 or anything speaking the S3 API.

Credentials come from the standard AWS variables (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_SESSION_TOKEN``, profiles, instance roles): botocore's default chain. The app keeps one client
(``keep_client``) for the life of its event loop and closes it at shutdown: building a client
costs an SSL context and a connector, 39% of the app's CPU under the mixed benchmark when every
operation built its own. Code running in another loop (a test's ``asyncio.run``, a command's
check before serving) gets a short-lived client per operation instead, so no connection pool
outlives the loop that made it. Clients fetch variants directly: under ``MEIJI_CDN_URL`` when one
is set, otherwise through presigned GETs, which are cached and reused for the first half of their
life so that a page's image URLs stay stable (and cacheable by browsers) for a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aioboto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from media.batches import all_at_once
from media.interfaces import PRIVATE_CACHE, StorageError
from media.keys import check_key

_MISSING = {"NoSuchKey", "404", "NotFound"}
_PRESIGN_CACHE = 10_000


def _disposition(key: str) -> str:
    """``inline; filename="<id>-<variant>.webp"``: the name a browser saves it under, without secrets."""
    parts = key.split("/")
    if parts[0] == "public":
        parts = parts[1:]
    return f'inline; filename="{parts[0]}-{parts[-1]}"'


def _code(exc: ClientError) -> str:
    error: dict[str, Any] = exc.response.get("Error", {})
    return str(error.get("Code", ""))


class S3Storage:
    """Objects in one bucket, under an optional key prefix."""

    def __init__(self, *, bucket: str, prefix: str = "", endpoint: str | None = None, region: str | None = None,
                 presign_seconds: int = 3600, cdn_url: str = "", keep_client: bool = False) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self.endpoint = endpoint
        self.region = region
        self.presign_seconds = presign_seconds
        self.cdn = cdn_url.rstrip("/")
        # Path-style addressing when an endpoint is named: MinIO, SeaweedFS and moto expect it.
        self.config = Config(signature_version="s3v4", s3={"addressing_style": "path" if endpoint else "auto"},
                             connect_timeout=5, read_timeout=30, retries={"max_attempts": 2, "mode": "standard"})
        self.session = aioboto3.Session()
        self.keep_client = keep_client
        self._kept: tuple[asyncio.AbstractEventLoop, contextlib.AsyncExitStack, Any] | None = None
        self._opening = asyncio.Lock()
        self._signer: Any = None
        self._presigned: dict[str, tuple[str, float]] = {}

    def _new_client(self) -> Any:
        return self.session.client("s3", endpoint_url=self.endpoint, region_name=self.region, config=self.config)

    async def _kept_client(self, loop: asyncio.AbstractEventLoop) -> Any:
        """The one client of ``loop``, opened on first use."""
        async with self._opening:
            if self._kept is None:
                stack = contextlib.AsyncExitStack()
                client = await stack.enter_async_context(self._new_client())
                self._kept = (loop, stack, client)
            return self._kept[2]

    @contextlib.asynccontextmanager
    async def _client(self) -> AsyncIterator[Any]:
        loop = asyncio.get_running_loop()
        try:
            if self.keep_client and (self._kept is None or self._kept[0] is loop):
                yield self._kept[2] if self._kept is not None else await self._kept_client(loop)
            else:
                async with self._new_client() as client:
                    yield client
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise FileNotFoundError(str(exc)) from None
            raise StorageError(f"S3 refused the call: {_code(exc) or exc}") from exc
        except (BotoCoreError, OSError) as exc:
            if isinstance(exc, FileNotFoundError):
                raise
            raise StorageError(f"S3 is unreachable: {type(exc).__name__}") from exc

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    async def put(self, key: str, data: bytes, content_type: str, cache_control: str = PRIVATE_CACHE) -> None:
        async with self._client() as s3:
            # BytesIO, not bytes: aiohttp warns about a bytes payload it has to wrap itself.
            await s3.put_object(Bucket=self.bucket, Key=self._key(key), Body=io.BytesIO(data),
                                ContentType=content_type, CacheControl=cache_control,
                                ContentDisposition=_disposition(key))

    async def copy(self, source: str, target: str, cache_control: str) -> None:
        async with self._client() as s3:
            # A server-side copy: the bytes never pass through the app. REPLACE gives the copy its
            # own caching header (a published copy is cacheable, the kept original is not).
            await s3.copy_object(Bucket=self.bucket, Key=self._key(target),
                                 CopySource={"Bucket": self.bucket, "Key": self._key(source)},
                                 MetadataDirective="REPLACE", ContentType="image/webp", CacheControl=cache_control,
                                 ContentDisposition=_disposition(target))

    async def put_all(self, objects: Mapping[str, bytes], content_type: str,
                      cache_control: str = PRIVATE_CACHE) -> None:
        await all_at_once(functools.partial(self.put, k, v, content_type, cache_control) for k, v in objects.items())

    async def copy_all(self, copies: Mapping[str, str], cache_control: str) -> None:
        await all_at_once(functools.partial(self.copy, source, target, cache_control)
                          for target, source in copies.items())

    async def get(self, key: str) -> bytes:
        async with self._client() as s3:
            response = await s3.get_object(Bucket=self.bucket, Key=self._key(key))
            body = response["Body"]
            try:
                data: bytes = await body.read()
            finally:
                body.close()
            return data

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        async with self._client() as s3:
            response = await s3.get_object(Bucket=self.bucket, Key=self._key(key))
            body = response["Body"]
            try:
                async for chunk in body.iter_chunks(64 * 1024):
                    yield chunk
            finally:
                body.close()

    async def delete(self, key: str) -> None:
        self._presigned.pop(key, None)
        async with self._client() as s3:
            await s3.delete_object(Bucket=self.bucket, Key=self._key(key))

    async def exists(self, key: str) -> bool:
        try:
            async with self._client() as s3:
                await s3.head_object(Bucket=self.bucket, Key=self._key(key))
        except FileNotFoundError:
            return False
        return True

    def cdn_url(self, key: str) -> str | None:
        return f"{self.cdn}/{self._key(key)}" if self.cdn else None

    async def url(self, key: str) -> str | None:
        if self.cdn:
            return self.cdn_url(key)
        now = time.time()
        cached = self._presigned.get(key)
        if cached is not None and cached[1] - now > self.presign_seconds / 2:
            return cached[0]
        if self._signer is None:
            # Presigning needs no network: a plain botocore client signs without an event loop.
            self._signer = botocore.session.get_session().create_client(
                "s3", endpoint_url=self.endpoint, region_name=self.region, config=self.config)
        url: str = self._signer.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._key(key)}, ExpiresIn=self.presign_seconds)
        if len(self._presigned) >= _PRESIGN_CACHE:
            self._presigned.clear()
        self._presigned[key] = (url, now + self.presign_seconds)
        return url

    async def keys(self, prefix: str = "") -> AsyncIterator[tuple[str, float]]:
        async with self._client() as s3:
            paginator = s3.get_paginator("list_objects_v2")
            async for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []):
                    yield item["Key"][len(self.prefix):], item["LastModified"].timestamp()

    async def ping(self) -> None:
        async with self._client() as s3:
            await s3.head_bucket(Bucket=self.bucket)

    async def close(self) -> None:
        kept, self._kept = self._kept, None
        if kept is not None and kept[0] is asyncio.get_running_loop():
            await kept[1].aclose()
