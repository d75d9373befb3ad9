"""Sign-up, sign-in, sign-out, the profile and roles, over HTTP."""

from __future__ import annotations

import asyncio

import pytest
from starlette.testclient import TestClient

from tests.conftest import PASSWORD, Member, sign_up


def test_sign_up_sign_in_and_read_me(db_client: TestClient) -> None:
    r = db_client.post("/v1/accounts", json={"handle": "小雨_2024", "password": PASSWORD, "birth_date": "1996-08-01"})
    assert r.status_code == 201
    assert r.json()["handle"] == "小雨_2024"
    assert "password" not in r.text and "argon2" not in r.text

    r = db_client.post("/v1/sessions", json={"handle": "小雨_2024", "password": PASSWORD})
    assert r.status_code == 201
    token = r.json()["token"]

    me = db_client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["handle"] == "小雨_2024"
    assert me.headers["etag"]


def test_taken_handle_is_409(db_client: TestClient) -> None:
    sign_up(db_client, handle="重名")
    r = db_client.post("/v1/accounts", json={"handle": "重名", "password": PASSWORD, "birth_date": "1990-01-01"})
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"


def test_under_14_needs_guardian_consent(client: TestClient) -> None:
    r = client.post("/v1/accounts", json={"handle": "初中生", "password": PASSWORD, "birth_date": "2015-01-01"})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "guardian_consent",
                                   "message": "members under 14 need a guardian's consent"}]
    r = client.post("/v1/accounts", json={"handle": "初中生", "password": PASSWORD, "birth_date": "2015-01-01",
                                          "guardian_consent": True})
    assert r.status_code == 201


def test_wrong_password_and_unknown_handle_look_alike(client: TestClient, member: Member) -> None:
    wrong = client.post("/v1/sessions", json={"handle": member.handle, "password": "not-the-password"})
    unknown = client.post("/v1/sessions", json={"handle": "nobody-here", "password": "not-the-password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_sign_out_kills_the_token(client: TestClient, member: Member) -> None:
    assert client.delete("/v1/sessions/current", headers=member.headers).status_code == 204
    r = client.get("/v1/me", headers=member.headers)
    assert r.status_code == 401


def test_me_needs_a_token(client: TestClient) -> None:
    assert client.get("/v1/me").status_code == 401
    assert client.get("/v1/me", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert client.get("/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_patch_me_honours_if_match(client: TestClient, member: Member) -> None:
    etag = client.get("/v1/me", headers=member.headers).headers["etag"]
    r = client.patch("/v1/me", json={"bio": "术后三个月，恢复得不错"}, headers={**member.headers, "If-Match": etag})
    assert r.status_code == 200
    assert r.json()["bio"] == "术后三个月，恢复得不错"
    stale = client.patch("/v1/me", json={"bio": "再改一次"}, headers={**member.headers, "If-Match": etag})
    assert stale.status_code == 412
    assert client.get("/v1/me", headers=member.headers).json()["bio"] == "术后三个月，恢复得不错"


def test_public_profile_hides_private_fields(client: TestClient, member: Member) -> None:
    r = client.get(f"/v1/accounts/{member.id}")
    assert r.status_code == 200
    body = r.json()
    assert body["handle"] == member.handle
    assert "birth_date" not in body and "status" not in body
    assert client.get("/v1/accounts/999999").status_code == 404
    assert client.get("/v1/accounts/not-a-number").status_code == 404


def test_only_admins_grant_roles(client: TestClient) -> None:
    admin = sign_up(client, role="admin")
    someone = sign_up(client)
    other = sign_up(client)
    assert client.put(f"/v1/accounts/{someone.id}/role", json={"role": "editor"},
                      headers=other.headers).status_code == 403
    r = client.put(f"/v1/accounts/{someone.id}/role", json={"role": "editor"}, headers=admin.headers)
    assert r.status_code == 200
    assert r.json()["role"] == "editor"
    bad = client.put(f"/v1/accounts/{someone.id}/role", json={"role": "god"}, headers=admin.headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "role"


def test_passwords_are_stored_as_argon2id_with_strong_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    import argon2

    from meiji.accounts import services

    monkeypatch.undo()  # the suite's cheap hasher off: this checks what production stores
    stored = asyncio.run(services.hash_password("美记的密码"))
    assert stored.startswith("$argon2id$")
    params = argon2.extract_parameters(stored)
    assert params.memory_cost >= 65536 and params.time_cost >= 3
    assert asyncio.run(services.password_matches(stored, "美记的密码"))
    assert not asyncio.run(services.password_matches(stored, "别的密码"))


def test_profile_counts_leave_out_anonymous_posts(db_client: TestClient) -> None:
    author = sign_up(db_client)
    for anonymous in (False, True, True):
        r = db_client.post("/v1/questions", headers=author.headers,
                           json={"title": "光子嫩肤后能晒太阳吗？", "body": "<p>做完第三天，想去海边。</p>",
                                 "anonymous": anonymous})
        assert r.status_code == 201, r.text
    counts = db_client.get(f"/v1/accounts/{author.id}").json()["counts"]
    assert counts["questions"] == 1
    assert counts["diaries"] == counts["reviews"] == counts["answers"] == counts["comments"] == 0
