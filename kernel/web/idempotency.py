"""``Idempotency-Key`` on creates: exactly one object per key, and the first answer replayed for 24 hours.

A request claims its key before doing the work, by inserting a pending record that the unique
(scope, key) index lets only one request insert. A concurrent duplicate waits a moment for the
first to finish and replays its answer, or gets 409 while it is still running; whatever the
concurrency, the work runs once. The scope is the caller: the account behind the token, or the
address of a caller without one, so nobody replays another member's answer.

Answers that carry a secret (a case's ``access_token``) are stored without it: a replay says which
fields it withholds, and the secret is shown once, to the request that created it.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Collection
from datetime import timedelta

import orjson
from starlette.requests import Request
from starlette.responses import Response
from tortoise.exceptions import IntegrityError

from kernel.clock import now
from kernel.web.models import IdempotencyRecord
from kernel.web.problems import Problem, invalid

MAX_KEY = 200
PENDING = 0  # the status of a claim whose work has not answered yet
# A duplicate waits this long for the first request to answer before it is told to come back.
WAIT_SECONDS = 2.0
# A claim pending this long belongs to a request that died mid-work (a crash): it may be taken over.
ABANDONED_AFTER = timedelta(seconds=60)


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


def _in_progress() -> Problem:
    return Problem(409, "A request with this Idempotency-Key is still in progress; retry in a moment to get "
                        "its answer.", headers={"Retry-After": "1"},
                   errors=[{"field": "Idempotency-Key", "message": "in progress"}])


def _replay(record: IdempotencyRecord) -> Response:
    headers = {"Idempotent-Replayed": "true"}
    if record.location:
        headers["Location"] = record.location
    return Response(bytes(record.body), status_code=record.status, media_type="application/json",
                    headers=headers)


async def claim(scope: str, key: str, print_: str, ttl_seconds: int) -> Response | None:
    """None when this request now holds the key and must do the work; otherwise the answer to send.

    That answer is the replay of the first one, 422 when the key came with another body, or 409
    while the first request is still at work.
    """
    waited_since = time.monotonic()
    for _ in range(50):
        try:
            await IdempotencyRecord.create(scope=scope, key=key, fingerprint=print_, status=PENDING, body=b"",
                                           created_at=now())
            return None
        except IntegrityError:
            pass
        record = await IdempotencyRecord.get_or_none(scope=scope, key=key)
        if record is None:
            continue  # the holder gave its claim up (its work failed): claim it again
        moment = now()
        expired = record.created_at < moment - timedelta(seconds=ttl_seconds)
        abandoned = record.status == PENDING and record.created_at < moment - ABANDONED_AFTER
        if expired or abandoned:
            # By id: a request that read the same stale row deletes nothing newer; the index picks one claimant.
            await IdempotencyRecord.filter(id=record.id).delete()
            continue
        if record.fingerprint != print_:
            raise Problem(422, "This Idempotency-Key was used with another request body.",
                          errors=[{"field": "Idempotency-Key", "message": "already used with another body"}])
        if record.status != PENDING:
            return _replay(record)
        if time.monotonic() - waited_since >= WAIT_SECONDS:
            raise _in_progress()
        await asyncio.sleep(0.05)
    raise _in_progress()


def _without_secrets(body: bytes, secret_fields: Collection[str]) -> bytes:
    """The answer as it may be replayed: each secret field emptied (null), and named in ``withheld``."""
    if not secret_fields:
        return body
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    if not isinstance(data, dict):
        return body
    withheld = [name for name in secret_fields if data.get(name) is not None]
    for name in withheld:
        data[name] = None
    if withheld:
        data["withheld"] = withheld
    return orjson.dumps(data)


async def complete(scope: str, key: str, response: Response, secret_fields: Collection[str] = ()) -> None:
    """Store the answer to a claimed key for replay; a server failure gives the claim up instead."""
    if response.status_code >= 500:
        await abandon(scope, key)
        return
    await IdempotencyRecord.filter(scope=scope, key=key, status=PENDING).update(
        status=response.status_code, body=_without_secrets(bytes(response.body), secret_fields),
        location=response.headers.get("location"))


async def abandon(scope: str, key: str) -> None:
    """Give a claim up (the work failed or was refused): the same key may be tried again."""
    await IdempotencyRecord.filter(scope=scope, key=key, status=PENDING).delete()


async def forget_expired(ttl_seconds: int) -> int:
    """Delete records past their lifetime; returns how many."""
    return await IdempotencyRecord.filter(created_at__lt=now() - timedelta(seconds=ttl_seconds)).delete()
