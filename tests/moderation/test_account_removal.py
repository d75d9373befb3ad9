"""Moderators act on members only; an account removed on reports loses its public avatar and bio
(kept for the record, and back on reinstatement)."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import Member, photo_bytes, sign_up
from tests.moderation.conftest import ask, decide, item_of
from tests.moderation.test_accounts import can_post


def report_account(client: TestClient, account_id: str, reason: str = "harassment") -> None:
    reporter = sign_up(client)
    r = client.post("/v1/reports", json={"target_type": "account", "target_id": account_id, "reason": reason,
                                         "detail": "这个账号冒充官方客服私信收款"}, headers=reporter.headers)
    assert r.status_code == 201, r.text


def test_moderators_act_on_members_only(client: TestClient, moderator: Member) -> None:
    admin = sign_up(client, role="admin")
    colleague = sign_up(client, role="moderator")
    for staff in (admin, colleague):
        report_account(client, staff.id)
        item = item_of(client, moderator, "account", staff.id)
        assert client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=moderator.headers).status_code == 200
        r = client.post(f"/v1/moderation/queue/{item['id']}/decisions", json={"action": "remove", "reason": "举报属实"},
                        headers=moderator.headers)
        assert r.status_code == 403, r.text
        assert r.headers["content-type"] == "application/problem+json"
        # Nothing happened: the staff account works, the item still waits for a decision it may take.
        assert client.get("/v1/moderation/queue", headers=staff.headers).status_code == 200
        assert item_of(client, moderator, "account", staff.id)["status"] == "claimed"
        decide(client, moderator, item["id"], "keep", "转交管理员处理")

    member = sign_up(client)
    report_account(client, member.id)
    decide(client, moderator, item_of(client, moderator, "account", member.id)["id"], "remove", "举报属实")
    assert can_post(client, member) == 403


def test_removing_an_account_hides_its_avatar_and_bio(client: TestClient, moderator: Member) -> None:
    member, reader = sign_up(client), sign_up(client)
    r = client.post("/v1/media", files={"file": ("me.jpg", photo_bytes(color=(200, 120, 150)), "image/jpeg")},
                    data={"purpose": "avatar"}, headers=member.headers)
    assert r.status_code == 201, r.text
    avatar = r.json()["id"]
    bio = "正品玻尿酸私信我，加微信优惠"
    r = client.patch("/v1/me", json={"bio": bio, "avatar_media_id": avatar}, headers=member.headers)
    assert r.status_code == 200, r.text
    question = ask(client, member, body="<p>有人想一起拼单做水光针吗？</p>")
    profile = client.get(f"/v1/accounts/{member.id}", headers=reader.headers).json()
    assert profile["bio"] == bio and profile["avatar"] is not None

    report_account(client, member.id, "advertising")
    decide(client, moderator, item_of(client, moderator, "account", member.id)["id"], "remove", "冒充客服")
    for headers in ({}, reader.headers):
        profile = client.get(f"/v1/accounts/{member.id}", headers=headers).json()
        assert (profile["handle"], profile["bio"], profile["avatar"]) == (member.handle, "", None)
        assert client.get(f"/v1/media/{avatar}", headers=headers).status_code == 404
        shown = client.get(f"/v1/questions/{question}", headers=headers).json()
        assert shown["author"]["avatar"] is None and bio not in client.get(
            f"/v1/accounts/{member.id}", headers=headers).text
    assert client.get(f"/v1/media/{avatar}", headers=moderator.headers).status_code == 200  # kept for the record
    own = client.get("/v1/me", headers=member.headers).json()  # the member still sees what is held
    assert (own["bio"], own["avatar_media_id"]) == (bio, avatar)
    assert bio in client.get("/v1/me/export", headers=member.headers).text

    assert client.post(f"/v1/moderation/accounts/{member.id}/reinstatement", json={"reason": "误判，已恢复"},
                       headers=moderator.headers).status_code == 204
    profile = client.get(f"/v1/accounts/{member.id}", headers=reader.headers).json()
    assert profile["bio"] == bio and profile["avatar"] is not None
