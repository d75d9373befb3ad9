"""Notifications leave the service: signed webhooks to a real HTTP server on 127.0.0.1, retried with
backoff and recorded; members who turned push off get none, legal notices excepted."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from kernel.clock import clock
from meiji.app import create_app
from meiji.delivery import worker
from meiji.delivery.models import Delivery, DeliveryAttempt
from meiji.services import app_services
from tests.conftest import AppFactory, Member, base_settings, sign_up
from tests.moderation.conftest import answer, ask, decide, file_notice, item_of

SECRET = "推送网关的签名密钥-0123456789abcdef"


@dataclass
class Gateway:
    """A push gateway on 127.0.0.1 that answers each request as scripted (500, hang, 200...)."""

    script: list[str] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    gw = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            gw.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            step = gw.script.pop(0) if gw.script else "200"
            if step == "hang":
                gw.release.wait(30)  # longer than the worker's timeout: it gives up on this one
                return
            self.send_response(int(step))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    gw.url = f"http://127.0.0.1:{server.server_address[1]}/push"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield gw
    gw.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def restore_clock() -> Iterator[None]:
    offset = clock.offset
    yield
    clock.offset = offset


@pytest.fixture
def pushing(make_client: AppFactory, gateway: Gateway, database_url: str) -> Iterator[TestClient]:
    """A service pushing to ``gateway``, on SQLite and on PostgreSQL (notifications and their
    deliveries are stored by hand-written statements on both)."""
    with make_client(webhook_url=gateway.url, webhook_secret=SECRET, webhook_timeout_seconds=1.0,
                     delivery_retry_seconds=30, database_url=database_url) as c:
        yield c


def deliver(client: TestClient) -> worker.Round:
    """One round of the delivery worker, as ``meiji delivery run --once`` does."""
    portal = client.portal
    assert portal is not None
    done: worker.Round = portal.call(worker.run_once, app_services(client.app.state).settings)
    return done


def rows(client: TestClient, **where: Any) -> list[Delivery]:
    portal = client.portal
    assert portal is not None

    async def query() -> list[Delivery]:
        return await Delivery.filter(**where).order_by("id")

    return portal.call(query)


def attempts(client: TestClient, delivery_id: int) -> list[str]:
    portal = client.portal
    assert portal is not None

    async def query() -> list[str]:
        return [a.detail for a in await DeliveryAttempt.filter(delivery_id=delivery_id).order_by("id")]

    return portal.call(query)


def verify(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    stamp = headers["x-meiji-timestamp"]
    expected = "sha256=" + hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-meiji-signature"], expected)
    payload: dict[str, Any] = json.loads(body)
    return payload


def test_an_answer_reaches_the_gateway_signed_after_a_500_and_a_timeout(pushing: TestClient,
                                                                        gateway: Gateway) -> None:
    asker, helper = sign_up(pushing), sign_up(pushing)
    question = ask(pushing, asker)
    gateway.script[:] = ["500", "hang", "200"]
    answer(pushing, helper, question)

    first = deliver(pushing)
    assert first.retried == 1 and first.delivered == 0
    # Not due yet: nothing is sent until the backoff has passed.
    assert deliver(pushing).retried == 0 and len(gateway.received) == 1
    clock.advance(seconds=31)
    assert deliver(pushing).retried == 1  # the gateway hangs past the timeout
    clock.advance(seconds=61)  # the second wait is twice the first
    assert deliver(pushing).delivered == 1

    assert len(gateway.received) == 3
    payloads = [verify(headers, body) for headers, body in gateway.received]
    assert {p["id"] for p in payloads} == {payloads[0]["id"]}  # one id: the gateway drops the copies
    assert payloads[0]["account_id"] == asker.id and payloads[0]["kind"] == "answer"
    assert payloads[0]["data"]["question_id"] == question
    assert set(payloads[0]) == {"id", "account_id", "kind", "data", "created_at"}
    [row] = rows(pushing, channel="webhook")
    assert row.status == "delivered" and row.attempts == 3
    assert attempts(pushing, row.id) == ["HTTP 500", "timeout", "HTTP 200"]
    # Kept a month for support, then forgotten with its attempts.
    clock.advance(days=31)
    deliver(pushing)
    assert rows(pushing, channel="webhook") == [] and attempts(pushing, row.id) == []
    # The helper who answered got nothing: the notification is the asker's alone.
    assert all(p["account_id"] != helper.id for p in payloads)


def test_a_tampered_body_fails_the_signature(pushing: TestClient, gateway: Gateway) -> None:
    asker, helper = sign_up(pushing), sign_up(pushing)
    answer(pushing, helper, ask(pushing, asker))
    deliver(pushing)
    [(headers, body)] = gateway.received
    with pytest.raises(AssertionError):
        verify(headers, body.replace(b"answer", b"commentx"))


def test_delivery_gives_up_after_24_hours_and_records_every_attempt(pushing: TestClient,
                                                                     gateway: Gateway) -> None:
    asker, helper = sign_up(pushing), sign_up(pushing)
    answer(pushing, helper, ask(pushing, asker))
    gateway.script[:] = ["503"] * 100
    for _ in range(40):
        deliver(pushing)
        clock.advance(hours=1)
    [row] = rows(pushing, channel="webhook")
    assert row.status == "failed"
    tried = attempts(pushing, row.id)
    assert set(tried) == {"HTTP 503"} and len(tried) == row.attempts == len(gateway.received)
    # 30 s, 60 s, ... doubling to an hour, within 24 hours: more than a handful, fewer than 40.
    assert 20 < len(tried) < 40


def test_push_off_means_none_except_legal_notices(pushing: TestClient, gateway: Gateway) -> None:
    quiet, helper = sign_up(pushing), sign_up(pushing)
    moderator = sign_up(pushing, role="moderator")
    r = pushing.put("/v1/me/notification-settings", json={"push": False, "email": False}, headers=quiet.headers)
    assert r.status_code == 200, r.text
    question = ask(pushing, quiet)
    answer(pushing, helper, question)
    # Another member, push on, still gets theirs.
    other = sign_up(pushing)
    answer(pushing, helper, ask(pushing, other))
    file_notice(pushing, [{"type": "question", "id": question}])
    decide(pushing, moderator, item_of(pushing, moderator, "question", question)["id"], "remove", "侵权成立")
    deliver(pushing)
    sent = [verify(h, b) for h, b in gateway.received]
    mine = [p["kind"] for p in sent if p["account_id"] == quiet.id]
    assert "answer" not in mine and "takedown" in mine
    assert [p["kind"] for p in sent if p["account_id"] == other.id] == ["answer"]
    # The notification is still in the app, where the member reads it whatever push says.
    r = pushing.get("/v1/me/notifications", headers=quiet.headers)
    assert {"answer", "takedown"} <= {n["kind"] for n in r.json()["items"]}


def test_without_a_gateway_webhooks_are_skipped_not_retried(client: TestClient, member: Member) -> None:
    helper = sign_up(client)
    answer(client, helper, ask(client, member))
    assert deliver(client).skipped >= 1
    assert {row.status for row in rows(client, channel="webhook")} == {"skipped"}


def test_notification_settings_are_the_members_own(pushing: TestClient, gateway: Gateway) -> None:
    reader, writer = sign_up(pushing), sign_up(pushing)
    r = pushing.get("/v1/me/notification-settings", headers=reader.headers)
    assert r.status_code == 200
    assert r.json() == {"push": True, "email": True, "kinds": {"answer": True, "comment": True, "reply": True,
                                                               "follow_update": True, "like": True,
                                                               "moderation": True}}
    r = pushing.put("/v1/me/notification-settings", json={"push": True, "email": False, "kinds": {"answer": False}},
                    headers=reader.headers)
    assert r.status_code == 200, r.text
    assert r.json()["kinds"]["answer"] is False and r.json()["kinds"]["comment"] is True
    assert pushing.get("/v1/me/notification-settings", headers=reader.headers).json() == r.json()
    # Another member's settings are untouched, and nobody reads them without signing in.
    assert pushing.get("/v1/me/notification-settings", headers=writer.headers).json()["kinds"]["answer"] is True
    assert pushing.get("/v1/me/notification-settings").status_code == 401

    question = ask(pushing, reader)
    answer(pushing, writer, question)
    # The reader answers someone else's question; the writer comments on that answer.
    mine = answer(pushing, reader, ask(pushing, writer))
    r = pushing.post("/v1/comments", json={"target_type": "answer", "target_id": mine,
                                           "body": "<p>谢谢分享，我也是第七天，肿得一样厉害。</p>"},
                     headers=writer.headers)
    assert r.status_code == 201, r.text
    deliver(pushing)
    # Answers turned off, comments still on: only the comment is pushed.
    sent = [verify(h, b) for h, b in gateway.received]
    assert [p["kind"] for p in sent if p["account_id"] == reader.id] == ["comment"]
    assert [p["kind"] for p in sent if p["account_id"] == writer.id] == ["answer"]

    # Replies turned off: a comment answering the reader's own comment is a reply, and stays in.
    r = pushing.put("/v1/me/notification-settings", json={"push": True, "email": False, "kinds": {"reply": False}},
                    headers=reader.headers)
    assert r.status_code == 200, r.text
    theirs = answer(pushing, writer, ask(pushing, writer))
    said = pushing.post("/v1/comments", json={"target_type": "answer", "target_id": theirs,
                                              "body": "<p>冰敷第三天就好多了。</p>"}, headers=reader.headers).json()
    third = sign_up(pushing)
    r = pushing.post("/v1/comments", json={"target_type": "answer", "target_id": theirs, "reply_to": said["id"],
                                           "body": "<p>请问冰敷一次多久？</p>"}, headers=third.headers)
    assert r.status_code == 201, r.text
    deliver(pushing)
    pushed = [verify(h, b) for h, b in gateway.received]
    assert [p["kind"] for p in pushed if p["account_id"] == reader.id] == ["comment"]  # the earlier one only
    assert [p["data"].get("reply_to") for p in pushed if p["account_id"] == writer.id and p["kind"] == "comment"
            ] == [None, None]  # the writer's comments on their answer stay on
    inbox = pushing.get("/v1/me/notifications", headers=reader.headers).json()["items"]
    assert any(n["payload"].get("reply_to") == said["id"] for n in inbox)  # still in the app


@pytest.mark.parametrize(("body", "field"), [
    ({"push": "关", "email": True}, "push"),
    ({"push": True}, "email"),
    ({"push": True, "email": True, "kinds": {"私信": True}}, "kinds.私信"),
    ({"push": True, "email": True, "kinds": {"like": "yes please"}}, "kinds.like"),
])
def test_bad_settings_name_the_field(client: TestClient, member: Member, body: dict[str, Any], field: str) -> None:
    r = client.put("/v1/me/notification-settings", json=body, headers=member.headers)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in r.json()["errors"]]
    assert client.get("/v1/me/notification-settings", headers=member.headers).json()["push"] is True


def test_meiji_delivery_run_once_sends_what_is_due(tmp_path: Path) -> None:
    """Production runs the worker as its own command; on the embedded default it writes .eml files."""
    with TestClient(create_app(base_settings(tmp_path))) as c:
        poster = sign_up(c)
        file_notice(c, [{"type": "question", "id": ask(c, poster)}])
    env = {**os.environ, "MEIJI_DATA_DIR": str(tmp_path), "MEIJI_LOG_LEVEL": "warning"}
    meiji = str(Path(sys.executable).parent / "meiji")
    first = subprocess.run([meiji, "delivery", "run", "--once"], capture_output=True, text=True, timeout=120, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().startswith("delivered 1, to retry 0, given up 0")
    again = subprocess.run([meiji, "delivery", "run", "--once"], capture_output=True, text=True, timeout=120, env=env)
    assert again.stdout.strip().startswith("delivered 0, to retry 0, given up 0")
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1
