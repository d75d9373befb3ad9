"""Checks made before serving, each failing with one line an operator can act on (and exit 2).

The port first (it costs nothing, and a busy port should not wait for migrations or background
work), then the database and the storage: a server that cannot reach them would only fail later,
request by request, with a traceback in the log.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from urllib.parse import parse_qs, urlsplit

from kernel import db
from kernel.settings import Settings

STORAGE_SECONDS = 15.0


class NotReady(RuntimeError):
    """A check failed; the message is the one line to print."""


def check_port(host: str, port: int) -> None:
    """Bind the address the server will listen on, and let go at once; ``NotReady`` when it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: a port in TIME_WAIT after a restart is free, one with a listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise NotReady(f"port {port} on {host} is already in use (another meiji serve?); "
                               f"choose another with --port") from None
            raise NotReady(f"cannot listen on {host}:{port}: {exc.strerror or exc} (see --host and --port)") from None


def storage_where(settings: Settings) -> str:
    parts = urlsplit(settings.storage_url)
    if parts.scheme != "s3":
        return f"{parts.scheme} storage"
    endpoint = {k: v[-1] for k, v in parse_qs(parts.query).items()}.get("endpoint")
    endpoint_host = urlsplit(endpoint).netloc if endpoint else "AWS (no endpoint= given)"
    return f"S3 bucket {parts.netloc!r} at {endpoint_host}"


def storage_reason(exc: BaseException) -> str:
    """Why the storage failed, in words; never a key or a signed URL."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, NoCredentialsError | PartialCredentialsError):
            return "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or an AWS profile)"
        if isinstance(seen, NoRegionError):
            return "no region: add region=… to MEIJI_STORAGE_URL"
        if isinstance(seen, EndpointConnectionError):
            return "cannot connect to the endpoint (is it running, is endpoint= right?)"
        if isinstance(seen, ClientError):
            code = str(seen.response.get("Error", {}).get("Code", ""))
            return {"NoSuchBucket": "the bucket does not exist", "404": "the bucket does not exist",
                    "403": "access denied to the bucket", "AccessDenied": "access denied to the bucket",
                    "InvalidAccessKeyId": "the access key is not known there",
                    "SignatureDoesNotMatch": "the secret key does not match"}.get(code, f"refused: {code}")
        if isinstance(seen, TimeoutError):
            return f"no answer within {STORAGE_SECONDS:g} s"
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror.lower()
        seen = seen.__cause__ or seen.__context__
    return type(exc).__name__


async def check_storage(settings: Settings) -> None:
    from media.storage import build_storage

    try:
        await asyncio.wait_for(build_storage(settings).ping(), STORAGE_SECONDS)
    except Exception as exc:  # every failure is told in one line below
        raise NotReady(f"MEIJI_STORAGE_URL: cannot use {storage_where(settings)}: {storage_reason(exc)}") from exc


async def check_backends(settings: Settings) -> None:
    try:
        await db.check(settings)
    except db.DatabaseUnavailable as exc:
        raise NotReady(str(exc)) from exc
    await check_storage(settings)
