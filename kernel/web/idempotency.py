"""``Idempotency-Key`` on creates: the same key and body replay the first answer for 24 hours."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from tortoise.exceptions import IntegrityError

from kernel.clock import now
from kernel.web.models import IdempotencyRecord
from kernel.web.problems import Problem, invalid

MAX_KEY = 200


def key_of(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY or not key.isprintable():
        raise invalid("Idempotency-Key", f"must be 1-{MAX_KEY} printable characters")
    return key


def fingerprint(request: Request, body: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.url.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


async def replay(scope: str, key: str, print_: str, ttl_seconds: int) -> Response | None:
    """The stored answer for this key, None when there is none; 422 when the body differs."""
    record = await IdempotencyRecord.get_or_none(scope=scope, key=key)
    if record is None:
        return None
    if record.created_at < now() - timedelta(seconds=ttl_seconds):
        await record.delete()
        return None
    if record.fingerprint != print_:
        raise Problem(422, "This Idempotency-Key was used with another request body.",
                      errors=[{"field": "Idempotency-Key", "message": "already used with another body"}])
    headers = {"Idempotent-Replayed": "true"}
    if record.location:
        headers["Location"] = record.location
    return Response(bytes(record.body), status_code=record.status, media_type="application/json",
                    headers=headers)


async def remember(scope: str, key: str, print_: str, response: Response) -> None:
    if response.status_code >= 500:
        return
    try:
        await IdempotencyRecord.create(scope=scope, key=key, fingerprint=print_, status=response.status_code,
                                       body=bytes(response.body), location=response.headers.get("location"),
                                       created_at=now())
    except IntegrityError:
        # A concurrent request with the same key stored its answer first; both answers stand.
        pass


async def forget_expired(ttl_seconds: int) -> int:
    """Delete records past their lifetime; returns how many."""
    return await IdempotencyRecord.filter(created_at__lt=now() - timedelta(seconds=ttl_seconds)).delete()
