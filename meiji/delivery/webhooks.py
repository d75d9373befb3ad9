"""Signed webhooks to the operator's push gateway.

``POST MEIJI_WEBHOOK_URL`` with JSON ``{id, account_id, kind, data, created_at}``,
``X-Meiji-Timestamp`` (Unix seconds) and ``X-Meiji-Signature: sha256=<hex HMAC-SHA256(secret,
timestamp + "." + body)>``. ``id`` is the notification's: the gateway drops a second copy.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

import anyio.to_thread

from kernel.settings import Settings
from meiji.delivery.models import Delivery


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str


def body_of(row: Delivery) -> bytes:
    payload = {"id": str(row.notification_id if row.notification_id is not None else f"d{row.id}"),
               "account_id": str(row.account_id) if row.account_id is not None else None,
               "kind": row.kind, "data": row.data, "created_at": row.created_at.isoformat()}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


async def post(settings: Settings, row: Delivery, timestamp: int) -> Outcome:
    """One attempt; any 2xx is delivered, anything else (or no answer in time) is retried later."""
    body = body_of(row)
    stamp = str(timestamp)
    # The URL's scheme is http or https: the setting refuses anything else at start-up.
    request = urllib.request.Request(settings.webhook_url, data=body, method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "X-Meiji-Timestamp": stamp,
                                              "X-Meiji-Signature": signature(settings.webhook_secret, stamp, body)})

    def send() -> int:
        with urllib.request.urlopen(request, timeout=settings.webhook_timeout_seconds) as answer:  # noqa: S310
            status: int = answer.status
            return status

    try:
        status = await anyio.to_thread.run_sync(send)
    except urllib.error.HTTPError as refused:
        refused.close()
        return Outcome(False, f"HTTP {refused.code}")
    except TimeoutError:
        return Outcome(False, "timeout")
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None)
        return Outcome(False, "timeout" if isinstance(reason, TimeoutError) else type(exc).__name__)
    return Outcome(200 <= status < 300, f"HTTP {status}")
