"""Notifications and the audit log come in stable pages, newest first."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import sign_up
from tests.moderation.conftest import answer, ask


def test_notifications_page_newest_first_without_repeats(client: TestClient) -> None:
    asker = sign_up(client)
    question = ask(client, asker)
    for _ in range(3):
        answer(client, sign_up(client), question)
    first = client.get("/v1/me/notifications?limit=2", headers=asker.headers).json()
    assert len(first["items"]) == 2 and first["unread_count"] == 3
    answer(client, sign_up(client), question)  # a newer one arrives between the pages
    second = client.get(f"/v1/me/notifications?limit=2&cursor={first['next_cursor']}", headers=asker.headers).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    ids = [n["id"] for n in first["items"] + second["items"]]
    assert len(set(ids)) == 3 and ids == sorted(ids, key=int, reverse=True)


def test_a_forged_cursor_is_a_422_on_the_field(client: TestClient) -> None:
    member = sign_up(client)
    r = client.get("/v1/me/notifications?cursor=not-a-cursor", headers=member.headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "cursor"


def test_a_forged_queue_cursor_and_an_unknown_reason_are_422_on_their_field(db_client: TestClient) -> None:
    import base64
    import json

    client = db_client
    moderator = sign_up(client, role="moderator")

    def cursor(*values: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")

    for sort, forged in (("due", cursor("x", 1)), ("due", cursor("2026-12-01T08:00:00", 1)),
                         ("kind", cursor("report", "yesterday", 1)),
                         ("kind", cursor("举报" * 200, "2026-12-01T08:00:00+08:00", 1)),
                         ("target_type", cursor("diary" * 100, "2026-12-01T08:00:00+08:00", 1)),
                         ("target_type", cursor("diary" * 30, "2026-12-01T08:00:00+08:00", 1))):
        r = client.get("/v1/moderation/queue", params={"sort": sort, "cursor": forged}, headers=moderator.headers)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", (sort, r.text)
        assert r.json()["errors"][0]["field"] == "cursor", r.text
    # A reason is a report reason or a notice type: anything else is one error, on the field itself.
    r = client.get("/v1/moderation/queue", params={"reason": "朋友圈广告"}, headers=moderator.headers)
    assert r.status_code == 422
    [error] = r.json()["errors"]
    assert error["field"] == "reason" and "'spam'" in error["message"] and "'copyright'" in error["message"]
