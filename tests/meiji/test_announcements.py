"""Announcements over HTTP as an admin, members and anyone: delivered to every member through the
outbox; a new policy version holds writing back until accepted; a shutdown at least 30 days ahead."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from kernel.clock import clock, now
from meiji.delivery.models import Delivery
from tests.conftest import PASSWORD, Member, sign_up
from tests.moderation.conftest import notifications

POLICY = {"title": "《美记隐私政策》更新", "kind": "policy_update", "policy_version": "2026-12",
          "body": "<p>我们更新了隐私政策：<strong>术前术后照片</strong>的保存期限改为账号注销后 30 天。</p>"}


@pytest.fixture(autouse=True)
def restore_clock() -> Iterator[None]:
    offset = clock.offset
    yield
    clock.offset = offset


def at(days: float) -> str:
    return (now() + timedelta(days=days)).isoformat()


def can_post(client: TestClient, member: Member) -> Any:
    return client.post("/v1/questions", json={"title": "热玛吉做完多久能化妆？", "body": "<p>想知道大家的经验。</p>",
                                              "anonymous": False}, headers=member.headers)


def webhook_rows(client: TestClient, account_id: str) -> list[str]:
    portal = client.portal
    assert portal is not None

    async def query() -> list[str]:
        rows = await Delivery.filter(channel="webhook", account_id=int(account_id)).order_by("id")
        return [str(r.data.get("kind")) for r in rows if r.kind == "announcement"]

    return portal.call(query)


def test_a_new_policy_is_accepted_before_writing_again(db_client: TestClient) -> None:
    client, member = db_client, sign_up(db_client)  # on SQLite and on PostgreSQL
    admin, other = sign_up(client, role="admin"), sign_up(client)
    assert can_post(client, member).status_code == 201
    r = client.post("/v1/announcements", json={**POLICY, "effective_at": at(7)}, headers=admin.headers)
    assert r.status_code == 201, r.text
    assert r.json()["policy_version"] == "2026-12" and "保存期限" in r.json()["text"]
    # Anyone reads it; every member was told.
    listed = client.get("/v1/announcements").json()["items"]
    assert [a["title"] for a in listed] == ["《美记隐私政策》更新"]
    for someone in (member, other, admin):
        assert "announcement" in [n["kind"] for n in notifications(client, someone)]

    me = client.get("/v1/me", headers=member.headers).json()
    assert me["policy_update_pending"] is True
    refused = can_post(client, member)
    assert refused.status_code == 403 and "/v1/me/consents/" in refused.json()["detail"]
    assert client.put("/v1/me/consents/2025-01", headers=member.headers).status_code == 404
    # A version longer than any stored one is no version: 404, not a failure.
    assert client.put("/v1/me/consents/" + "2026-12" * 10, headers=member.headers).status_code == 404
    r = client.put("/v1/me/consents/2026-12", headers=member.headers)
    assert r.status_code == 200 and r.json()["policy_version"] == "2026-12" and r.json()["accepted_at"]
    me = client.get("/v1/me", headers=member.headers).json()
    assert me["policy_version_accepted"] == "2026-12" and me["policy_update_pending"] is False
    assert can_post(client, member).status_code == 201
    # The other member has not accepted yet, and still cannot write.
    assert can_post(client, other).status_code == 403
    # A member who signs up now accepts the version in force.
    r = client.post("/v1/accounts", json={"handle": "新来的小周", "password": PASSWORD, "birth_date": "1999-03-08"})
    assert r.status_code == 201 and r.json()["policy_version_accepted"] == "2026-12"
    assert r.json()["policy_update_pending"] is False


def test_a_pending_policy_holds_back_members_writing_not_staff_duties(client: TestClient) -> None:
    from tests.moderation.conftest import ask, decide, file_notice, item_of

    admin, moderator, poster = sign_up(client, role="admin"), sign_up(client, role="moderator"), sign_up(client)
    question = ask(client, poster)
    file_notice(client, [{"type": "question", "id": question}])
    r = client.post("/v1/announcements", json={**POLICY, "effective_at": at(7)}, headers=admin.headers)
    assert r.status_code == 201, r.text
    # The takedown queue and its deadlines go on; a member's writing waits, and is told where the
    # version to accept is.
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "remove", "侵权成立")
    assert client.get(f"/v1/questions/{question}").status_code == 451
    r = client.post("/v1/announcements", json={**POLICY, "policy_version": "2027-01", "effective_at": at(14)},
                    headers=admin.headers)
    assert r.status_code == 201, r.text
    refused = can_post(client, moderator)  # posting as a member is a member's writing
    assert refused.status_code == 403 and "GET /v1/announcements" in refused.json()["detail"]
    newest = client.get("/v1/announcements").json()["items"][0]["policy_version"]
    assert client.put(f"/v1/me/consents/{newest}", headers=moderator.headers).status_code == 200
    assert can_post(client, moderator).status_code == 201


def test_only_admins_announce(client: TestClient, member: Member) -> None:
    body = {**POLICY, "effective_at": at(7)}
    assert client.post("/v1/announcements", json=body).status_code == 401
    assert client.post("/v1/announcements", json=body, headers=member.headers).status_code == 403
    assert client.get("/v1/announcements").json()["items"] == []
    assert client.get("/v1/me", headers=member.headers).json()["policy_update_pending"] is False


@pytest.mark.parametrize(("changes", "field"), [
    ({"kind": "shutdown", "policy_version": None, "effective_at": None}, "effective_at"),
    ({"policy_version": None}, "policy_version"),
    ({"kind": "service_notice"}, "policy_version"),
    ({"kind": "停服"}, "kind"),
    ({"effective_at": "2027-01-01T00:00:00"}, "effective_at"),
    ({"title": ""}, "title"),
])
def test_a_bad_announcement_names_the_field(client: TestClient, changes: dict[str, Any], field: str) -> None:
    admin = sign_up(client, role="admin")
    body = {**POLICY, "effective_at": at(7), **changes}
    if changes.get("effective_at", 0) is None:
        body["effective_at"] = at(29)  # a shutdown less than 30 days ahead
    body = {k: v for k, v in body.items() if v is not None}
    r = client.post("/v1/announcements", json=body, headers=admin.headers)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert client.get("/v1/announcements").json()["items"] == []
    assert notifications(client, admin) == []


def test_a_shutdown_reaches_members_who_turned_push_off_and_a_service_notice_does_not(
        client: TestClient, member: Member) -> None:
    admin = sign_up(client, role="admin")
    r = client.put("/v1/me/notification-settings", json={"push": False, "email": False}, headers=member.headers)
    assert r.status_code == 200
    r = client.post("/v1/announcements", json={"title": "美记将停止服务", "kind": "shutdown", "effective_at": at(31),
                                               "body": "<p>美记将于下月底停止服务，请在此之前导出你的数据。</p>"},
                    headers=admin.headers)
    assert r.status_code == 201, r.text
    r = client.post("/v1/announcements", json={"title": "周六凌晨系统维护", "kind": "service_notice",
                                               "effective_at": at(3), "body": "<p>周六凌晨两点到四点暂停服务。</p>"},
                    headers=admin.headers)
    assert r.status_code == 201, r.text
    assert webhook_rows(client, member.id) == ["shutdown"]
    assert webhook_rows(client, admin.id) == ["shutdown", "service_notice"]
    # Both stay readable in the app, whatever push says; nobody is held back by a shutdown.
    assert [n["kind"] for n in notifications(client, member)].count("announcement") == 2
    assert can_post(client, member).status_code == 201
    assert [a["kind"] for a in client.get("/v1/announcements").json()["items"]] == ["service_notice", "shutdown"]
