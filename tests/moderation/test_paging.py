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
