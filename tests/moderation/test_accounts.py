"""Strikes and suspension, notifications and their read marks, the account's export and deletion."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.testclient import TestClient

import moderation.services
from kernel.clock import clock
from tests.conftest import PASSWORD, Member, sign_up
from tests.moderation.conftest import answer, ask, decide, file_notice, item_of, notifications
from tests.moderation.test_notices import COUNTER


def take_down(client: TestClient, author: Member, moderator: Member) -> tuple[str, str]:
    question = ask(client, author)
    case_id, token = file_notice(client, [{"type": "question", "id": question}])
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "remove", "侵权成立")
    return case_id, token


def sign_in(client: TestClient, member: Member) -> Member:
    r = client.post("/v1/sessions", json={"handle": member.handle, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return Member(member.id, member.handle, r.json()["token"])


def can_post(client: TestClient, member: Member) -> int:
    r = client.post("/v1/questions", json={"title": "术后第十天可以化妆吗", "body": "<p>伤口已经拆线了</p>",
                                           "anonymous": False}, headers=member.headers)
    return r.status_code


def test_three_strikes_within_a_year_suspend_until_a_moderator_reinstates(
        client: TestClient, member: Member, moderator: Member) -> None:
    take_down(client, member, moderator)
    take_down(client, member, moderator)
    assert can_post(client, member) == 201
    take_down(client, member, moderator)
    assert can_post(client, member) == 403
    assert client.get("/v1/questions", headers=member.headers).status_code == 200  # still reads
    kinds = [n["kind"] for n in notifications(client, member)]
    assert kinds.count("strike") == 3 and "suspended" in kinds
    log = client.get(f"/v1/moderation/log?target_type=account&target_id={member.id}",
                     headers=moderator.headers).json()["items"]
    assert [e["action"] for e in log][:2] == ["suspended", "strike"]

    assert client.post(f"/v1/moderation/accounts/{member.id}/reinstatement", json={"reason": "申诉成立"},
                       headers=member.headers).status_code == 403
    r = client.post(f"/v1/moderation/accounts/{member.id}/reinstatement", json={"reason": "已承诺不再转载"},
                    headers=moderator.headers)
    assert r.status_code == 204
    assert can_post(client, member) == 201
    assert client.post("/v1/moderation/accounts/999999/reinstatement", json={"reason": "无"},
                       headers=moderator.headers).status_code == 404


def test_strikes_older_than_a_year_do_not_count(client: TestClient, member: Member, moderator: Member) -> None:
    take_down(client, member, moderator)
    take_down(client, member, moderator)
    clock.advance(days=366)
    member, moderator = sign_in(client, member), sign_in(client, moderator)  # sessions last 90 days
    take_down(client, member, moderator)
    assert can_post(client, member) == 201


def test_a_restored_removal_is_no_strike(client: TestClient, member: Member, moderator: Member) -> None:
    take_down(client, member, moderator)
    case_id, _ = take_down(client, member, moderator)
    assert client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER,
                       headers=member.headers).status_code == 201
    target = client.get(f"/v1/notices/{case_id}", headers=moderator.headers).json()["targets"][0]["id"]
    decide(client, moderator, item_of(client, moderator, "question", target)["id"], "restore", "反通知证据充分")
    assert client.get(f"/v1/questions/{target}").status_code == 200
    assert "restored" in [n["kind"] for n in notifications(client, member)]

    take_down(client, member, moderator)  # two strikes count now, not three
    assert can_post(client, member) == 201
    take_down(client, member, moderator)
    assert can_post(client, member) == 403


def test_notifications_from_content_and_read_marks(client: TestClient, member: Member) -> None:
    question = ask(client, member)
    answer(client, sign_up(client), question)
    answer(client, sign_up(client), question)
    items = notifications(client, member)
    assert [n["kind"] for n in items] == ["answer", "answer"]
    assert all(n["read"] is False for n in items)

    r = client.post("/v1/me/notifications/read", json={"ids": [items[0]["id"]]}, headers=member.headers)
    assert r.status_code == 200 and r.json() == {"updated": 1}
    unread = client.get("/v1/me/notifications?unread=true", headers=member.headers).json()
    assert [n["id"] for n in unread["items"]] == [items[1]["id"]]
    assert unread["unread_count"] == 1
    assert client.post("/v1/me/notifications/read", json={"all": True},
                       headers=member.headers).json() == {"updated": 1}
    assert client.post("/v1/me/notifications/read", json={}, headers=member.headers).status_code == 422
    # Nobody reads or marks another member's notifications.
    other = sign_up(client)
    assert client.post("/v1/me/notifications/read", json={"ids": [items[0]["id"]]},
                       headers=other.headers).json() == {"updated": 0}
    assert notifications(client, other) == []
    assert client.get("/v1/me/notifications").status_code == 401


def test_export_and_forget_an_account(client: TestClient, member: Member) -> None:
    author = sign_up(client)
    question = ask(client, author)
    r = client.post("/v1/reports", json={"target_type": "question", "target_id": question, "reason": "privacy",
                                         "detail": "帖子里出现了我的正脸照片"}, headers=member.headers)
    assert r.status_code == 201
    answer(client, member, ask(client, member))
    portal = client.portal
    assert portal is not None

    exported: dict[str, Any] = portal.call(moderation.services.export_account, int(member.id))
    assert [r["detail"] for r in exported["reports"]] == ["帖子里出现了我的正脸照片"]
    assert exported["notifications"] == []  # answering one's own question notifies nobody

    answer(client, author, ask(client, member))
    assert len(portal.call(moderation.services.export_account, int(member.id))["notifications"]) == 1
    portal.call(moderation.services.forget_account, int(member.id))
    forgotten = portal.call(moderation.services.export_account, int(member.id))
    assert forgotten["notifications"] == []
    assert [(r["reason"], r["detail"]) for r in forgotten["reports"]] == [("privacy", "")]


async def _two_schedulers(state: Any) -> list[dict[str, int]]:
    return list(await asyncio.gather(moderation.services.tick(state), moderation.services.tick(state)))


def test_two_schedulers_at_once_restore_once(db_client: TestClient) -> None:
    author = sign_up(db_client)
    moderator = sign_up(db_client, role="moderator")
    question = ask(db_client, author)
    case_id, _ = file_notice(db_client, [{"type": "question", "id": question}])
    decide(db_client, moderator, item_of(db_client, moderator, "question", question)["id"], "remove", "侵权")
    db_client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER, headers=author.headers)
    decide(db_client, moderator, item_of(db_client, moderator, "question", question)["id"], "forward_counter")
    clock.advance(days=16)
    portal = db_client.portal
    assert portal is not None
    results = portal.call(_two_schedulers, db_client.app.state.services)  # type: ignore[attr-defined]
    assert sum(r["cases_restored"] for r in results) == 1
    assert db_client.get(f"/v1/questions/{question}").status_code == 200
    assert [n["kind"] for n in notifications(db_client, author)].count("restored") == 1
