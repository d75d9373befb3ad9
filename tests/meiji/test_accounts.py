"""Sign-up, sign-in, sign-out, the profile and roles, over HTTP."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from kernel.clock import clock
from tests.conftest import PASSWORD, AppFactory, Member, sign_up


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
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["guardian_email"]
    r = client.post("/v1/accounts", json={"handle": "初中生", "password": PASSWORD, "birth_date": "2015-01-01",
                                          "guardian_consent": True, "guardian_email": "parent@example.cn"})
    assert r.status_code == 201


def test_a_member_turns_14_on_their_birthday_in_china(client: TestClient, restore_clock: None) -> None:
    from datetime import UTC, datetime

    # 01:00 on 1 December in Beijing, still 30 November in UTC.
    clock.offset = datetime(2026, 11, 30, 17, 0, tzinfo=UTC) - datetime.now(UTC)
    r = client.post("/v1/accounts", json={"handle": "今天十四岁", "password": PASSWORD, "birth_date": "2012-12-01"})
    assert r.status_code == 201, r.text
    # One day younger is still under 14, and a birth date of today in China is a real date.
    r = client.post("/v1/accounts", json={"handle": "明天十四岁", "password": PASSWORD, "birth_date": "2012-12-02"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "guardian_consent"
    r = client.post("/v1/accounts", json={"handle": "今天出生", "password": PASSWORD, "birth_date": "2026-12-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "guardian_consent"
    r = client.post("/v1/accounts", json={"handle": "明天出生", "password": PASSWORD, "birth_date": "2026-12-02"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "birth_date"


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
    # OWASP's password storage guidance: argon2id with m=19 MiB, t=2, p=1 (or an equivalent setting).
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19 * 1024, 2, 1)
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


@pytest.fixture
def restore_clock() -> Iterator[None]:
    offset = clock.offset
    yield
    clock.offset = offset


def test_an_old_hash_still_verifies_and_is_replaced_on_sign_in(client: TestClient,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import argon2

    from meiji.accounts import services
    from meiji.accounts.models import Account

    monkeypatch.undo()  # production parameters, as a member signed up before they changed
    member = sign_up(client, handle="老会员")
    old = argon2.PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(PASSWORD)
    portal = client.portal
    assert portal is not None

    async def stored() -> str:
        return (await Account.get(id=int(member.id))).password_hash

    async def set_old() -> None:
        await Account.filter(id=int(member.id)).update(password_hash=old)

    portal.call(set_old)
    r = client.post("/v1/sessions", json={"handle": "老会员", "password": PASSWORD})
    assert r.status_code == 201
    params = argon2.extract_parameters(portal.call(stored))
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19 * 1024, 2, 1)
    assert client.post("/v1/sessions", json={"handle": "老会员", "password": PASSWORD}).status_code == 201
    assert client.post("/v1/sessions", json={"handle": "老会员", "password": "不是这个密码"}).status_code == 401
    assert services.hasher.check_needs_rehash(old)


def test_hashing_beyond_the_pool_and_its_queue_is_503_with_retry_after() -> None:
    from meiji.accounts.passwords import Busy, HashingPool

    pool = HashingPool(workers=1, queue=1)
    release = threading.Event()

    async def scenario() -> None:
        running = asyncio.ensure_future(pool.run(release.wait))
        waiting = asyncio.ensure_future(pool.run(release.wait))
        await asyncio.sleep(0)  # both are admitted: one on the thread, one in the queue
        assert pool.admitted == 2
        with pytest.raises(Busy) as refused:
            await pool.run(lambda: True)
        assert refused.value.status == 503
        assert int(refused.value.headers["Retry-After"]) >= 1
        release.set()
        assert await running and await waiting
        assert await pool.run(lambda: True)  # room again once the backlog is done
        assert pool.admitted == 0

    try:
        asyncio.run(scenario())
    finally:
        release.set()
        pool.shutdown()


def test_a_session_idle_for_30_days_ends(make_client: AppFactory, restore_clock: None) -> None:
    with make_client(session_days=90, session_idle_days=30) as client:
        member = sign_up(client)
        for _ in range(2):  # used every 29 days, the session lives on
            clock.advance(days=29)
            assert client.get("/v1/me", headers=member.headers).status_code == 200
        clock.advance(days=30, hours=1)  # day 88: within its 90-day lifetime, but idle for 30 days
        r = client.get("/v1/me", headers=member.headers)
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        again = client.post("/v1/sessions", json={"handle": member.handle, "password": PASSWORD})
        assert again.status_code == 201
        assert client.get("/v1/me", headers={"Authorization": f"Bearer {again.json()['token']}"}).status_code == 200


def test_a_deleted_accounts_handle_is_held_for_30_days(client: TestClient, restore_clock: None) -> None:
    leaving = sign_up(client, handle="小桃子")
    r = client.request("DELETE", "/v1/me", json={"password": PASSWORD, "content": "delete"}, headers=leaving.headers)
    assert r.status_code == 204
    assert client.get(f"/v1/accounts/{leaving.id}").status_code == 404

    taking = client.post("/v1/accounts", json={"handle": "小桃子", "password": PASSWORD, "birth_date": "1999-09-09"})
    assert taking.status_code == 409
    assert taking.headers["content-type"] == "application/problem+json"
    other = sign_up(client)
    renamed = client.patch("/v1/me", json={"handle": "小桃子"}, headers=other.headers)
    assert renamed.status_code == 409
    assert client.get("/v1/me", headers=other.headers).json()["handle"] == other.handle

    clock.advance(days=30, hours=1)
    later = client.post("/v1/accounts", json={"handle": "小桃子", "password": PASSWORD, "birth_date": "1999-09-09"})
    assert later.status_code == 201
    assert later.json()["id"] != leaving.id


def test_a_role_change_honours_if_match(client: TestClient) -> None:
    admin = sign_up(client, role="admin")
    someone = sign_up(client)
    read = client.get(f"/v1/accounts/{someone.id}")
    etag = read.headers["etag"]
    r = client.put(f"/v1/accounts/{someone.id}/role", json={"role": "editor"},
                   headers={**admin.headers, "If-Match": etag})
    assert r.status_code == 200
    assert r.headers["etag"] != etag
    stale = client.put(f"/v1/accounts/{someone.id}/role", json={"role": "moderator"},
                       headers={**admin.headers, "If-Match": etag})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    shown = client.get(f"/v1/accounts/{someone.id}")
    assert shown.json()["role"] == "editor"
    assert shown.headers["etag"] == r.headers["etag"]
    fresh = client.put(f"/v1/accounts/{someone.id}/role", json={"role": "moderator"},
                       headers={**admin.headers, "If-Match": shown.headers["etag"]})
    assert fresh.status_code == 200
    assert client.get(f"/v1/accounts/{someone.id}").json()["role"] == "moderator"


def test_changing_the_password_ends_every_other_session(client: TestClient) -> None:
    member = sign_up(client, handle="换密码的人")
    phone = client.post("/v1/sessions", json={"handle": "换密码的人", "password": PASSWORD}).json()["token"]
    bystander = sign_up(client)
    new = "手机丢了换个新密码2026"

    wrong = client.put("/v1/me/password", json={"current_password": "猜一个密码", "new_password": new},
                       headers=member.headers)
    assert wrong.status_code == 403
    assert wrong.json()["errors"] == [{"field": "current_password", "message": "does not match"}]
    short = client.put("/v1/me/password", json={"current_password": PASSWORD, "new_password": "短"},
                       headers=member.headers)
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "new_password"
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {phone}"}).status_code == 200

    r = client.put("/v1/me/password", json={"current_password": PASSWORD, "new_password": new},
                   headers=member.headers)
    assert r.status_code == 204
    assert client.get("/v1/me", headers=member.headers).status_code == 200  # this session goes on
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {phone}"}).status_code == 401
    assert client.get("/v1/me", headers=bystander.headers).status_code == 200  # nobody else's
    assert client.post("/v1/sessions", json={"handle": "换密码的人", "password": PASSWORD}).status_code == 401
    assert client.post("/v1/sessions", json={"handle": "换密码的人", "password": new}).status_code == 201
