"""A member's own data: the export, and deleting the account (delete or anonymize the posts)."""

from __future__ import annotations

import json

from starlette.testclient import TestClient

from tests.conftest import PASSWORD, Member, sign_up, upload


def ask(client: TestClient, member: Member, anonymous: bool, title: str) -> str:
    r = client.post("/v1/questions", headers=member.headers,
                    json={"title": title, "body": "<p>医生说恢复期要一个月，大家实际多久消肿？</p>",
                          "anonymous": anonymous})
    assert r.status_code == 201, r.text
    question_id: str = r.json()["id"]
    return question_id


def set_avatar(client: TestClient, member: Member) -> dict[str, object]:
    media_id = upload(client, member, purpose="avatar")
    r = client.patch("/v1/me", json={"avatar_media_id": media_id}, headers=member.headers)
    assert r.status_code == 200, r.text
    avatar: dict[str, object] = r.json()["avatar"]
    assert avatar["id"] == media_id
    return avatar


def drain(client: TestClient) -> None:
    import search.services

    state = client.app.state.services  # type: ignore[attr-defined]
    assert client.portal is not None
    client.portal.call(search.services.drain, state.search, state.documents)


def test_export_holds_everything_including_anonymous_posts(client: TestClient, member: Member) -> None:
    set_avatar(client, member)
    open_id = ask(client, member, False, "双眼皮术后多久能化妆？")
    hidden_id = ask(client, member, True, "埋线双眼皮失败了怎么办")
    r = client.get("/v1/me/export", headers=member.headers)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    data = r.json()
    assert data["account"]["handle"] == member.handle
    questions = {q["id"]: q for q in data["content"]["question"]}
    assert set(questions) == {open_id, hidden_id}
    assert questions[hidden_id]["anonymous"] is True
    assert len(data["media"]) == 1
    assert "notifications" in data["moderation"]
    assert client.get("/v1/me/export").status_code == 401


def test_export_is_only_mine(client: TestClient, member: Member) -> None:
    ask(client, member, True, "做了鼻综合，呼吸不太顺畅正常吗")
    other = sign_up(client)
    data = client.get("/v1/me/export", headers=other.headers).json()
    assert data["content"]["question"] == []
    assert member.handle not in json.dumps(data, ensure_ascii=False)


def test_delete_needs_the_password(client: TestClient, member: Member) -> None:
    r = client.request("DELETE", "/v1/me", json={"password": "wrong-password", "content": "delete"},
                       headers=member.headers)
    assert r.status_code == 403
    assert r.json()["errors"][0]["field"] == "password"
    assert client.get("/v1/me", headers=member.headers).status_code == 200
    bad = client.request("DELETE", "/v1/me", json={"password": PASSWORD, "content": "keep"}, headers=member.headers)
    assert bad.status_code == 422


def test_delete_with_content_removes_everything(client: TestClient, member: Member) -> None:
    avatar = set_avatar(client, member)
    question_id = ask(client, member, False, "热玛吉做完脸有点红肿")
    drain(client)
    assert client.get("/v1/search", params={"q": "热玛吉"}).json()["total"] == 1
    thumb = avatar["variants"]["thumb"]["url"]  # type: ignore[index]
    assert client.get(str(thumb)).status_code == 200

    r = client.request("DELETE", "/v1/me", json={"password": PASSWORD, "content": "delete"}, headers=member.headers)
    assert r.status_code == 204

    assert client.get("/v1/me", headers=member.headers).status_code == 401
    login = client.post("/v1/sessions", json={"handle": member.handle, "password": PASSWORD})
    assert login.status_code == 401
    assert client.get(f"/v1/accounts/{member.id}").status_code == 404
    assert client.get(f"/v1/questions/{question_id}").status_code == 404
    assert client.get("/v1/search", params={"q": "热玛吉"}).json()["total"] == 0
    assert client.get(str(thumb)).status_code == 404
    # The sweeper then deletes the avatar's objects from storage.
    import media.services

    state = client.app.state.services  # type: ignore[attr-defined]
    assert client.portal is not None
    client.portal.call(media.services.sweep, state.media, state.settings)
    assert client.get(f"/v1/media/{avatar['id']}").status_code == 404
    # The handle is held from others for 30 days (no one poses as the departed), then free again.
    again = {"handle": member.handle, "password": PASSWORD, "birth_date": "1990-01-01"}
    assert client.post("/v1/accounts", json=again).status_code == 409
    from kernel.clock import clock

    offset = clock.offset
    try:
        clock.advance(days=31)
        assert client.post("/v1/accounts", json=again).status_code == 201
    finally:
        clock.offset = offset


def test_anonymize_keeps_posts_without_any_author(client: TestClient, member: Member) -> None:
    question_id = ask(client, member, False, "玻尿酸填充苹果肌能维持多久")
    assert client.get(f"/v1/questions/{question_id}").json()["author"]["handle"] == member.handle
    r = client.request("DELETE", "/v1/me", json={"password": PASSWORD, "content": "anonymize"},
                       headers=member.headers)
    assert r.status_code == 204
    shown = client.get(f"/v1/questions/{question_id}")
    assert shown.status_code == 200
    assert shown.json()["author"] is None
    assert member.handle not in shown.text
    listed = client.get("/v1/questions").text
    assert member.handle not in listed
    assert client.post("/v1/sessions", json={"handle": member.handle, "password": PASSWORD}).status_code == 401
