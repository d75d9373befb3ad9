"""The member's own account security over HTTP: sessions, an email address, forgotten passwords and
a birth date corrected once; mail read from the .eml files of the embedded default."""

from __future__ import annotations

import email
import email.policy
import logging
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from kernel.clock import clock
from meiji.accounts.models import AccountCorrection, GuardianConsent
from tests.conftest import PASSWORD, Member, sign_up
from tests.meiji.test_delivery import deliver
from tests.moderation.conftest import answer, ask

NEW_PASSWORD = "新的密码-更长也更安全-2026"


@pytest.fixture(autouse=True)
def restore_clock() -> Iterator[None]:
    offset = clock.offset
    yield
    clock.offset = offset


def mails(data_dir: Path, to: str) -> list[EmailMessage]:
    found = []
    for path in sorted((data_dir / "mail").glob("*.eml"), key=lambda p: int(p.stem)):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        if msg["To"] == to:
            found.append(msg)
    return found


def body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    text: str = part.get_content()
    return text


def sign_in(client: TestClient, member: Member, agent: str = "testclient",
            password: str = PASSWORD) -> Member:
    r = client.post("/v1/sessions", json={"handle": member.handle, "password": password},
                    headers={"User-Agent": agent})
    assert r.status_code == 201, r.text
    return Member(member.id, member.handle, r.json()["token"])


def verify_email(client: TestClient, member: Member, address: str, data_dir: Path) -> None:
    assert client.put("/v1/me/email", json={"email": address}, headers=member.headers).status_code == 202
    deliver(client)
    code = re.search(r"\d{6}", body(mails(data_dir, address)[-1]))
    assert code is not None
    r = client.post("/v1/me/email/verification", json={"code": code.group()}, headers=member.headers)
    assert r.status_code == 204, r.text


def test_a_member_lists_and_ends_their_sessions(db_client: TestClient) -> None:
    client, member = db_client, sign_up(db_client)  # on SQLite and on PostgreSQL
    phone = sign_in(client, member, "Meiji/3.2 (iPhone; iOS 18.1)")
    other = sign_up(client)
    r = client.get("/v1/me/sessions", headers=member.headers)
    assert r.status_code == 200
    items = r.json()["items"]
    assert len(items) == 2 and [i["current"] for i in items].count(True) == 1
    assert items[0]["user_agent"] == "Meiji/3.2 (iPhone; iOS 18.1)" and not items[0]["current"]
    assert set(items[0]) >= {"id", "created_at", "last_used_at", "user_agent", "current"}
    # Another member's sessions are not ours to see or end.
    theirs = client.get("/v1/me/sessions", headers=other.headers).json()["items"]
    assert {i["id"] for i in theirs}.isdisjoint({i["id"] for i in items})
    assert client.delete(f"/v1/me/sessions/{theirs[0]['id']}", headers=member.headers).status_code == 404
    assert client.get("/v1/me", headers=other.headers).status_code == 200
    assert client.delete("/v1/me/sessions/不存在", headers=member.headers).status_code == 404

    assert client.delete(f"/v1/me/sessions/{items[0]['id']}", headers=member.headers).status_code == 204
    assert client.get("/v1/me", headers=phone.headers).status_code == 401
    assert client.get("/v1/me", headers=member.headers).status_code == 200
    assert len(client.get("/v1/me/sessions", headers=member.headers).json()["items"]) == 1
    assert client.get("/v1/me/sessions").status_code == 401


def test_a_member_adds_and_verifies_an_email(client: TestClient, member: Member, tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # the production level (debug logs SQL with its values)
    address = "xiaomei.chen@example.cn"
    r = client.put("/v1/me/email", json={"email": "不是邮箱"}, headers=member.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "email"
    assert client.put("/v1/me/email", json={"email": address}, headers=member.headers).status_code == 202
    deliver(client)
    [letter] = mails(tmp_path, address)
    assert letter["Subject"] == "【美记】邮箱验证码"
    found = re.search(r"\d{6}", body(letter))
    assert found is not None
    code = found.group()
    wrong = "000000" if code != "000000" else "111111"
    r = client.post("/v1/me/email/verification", json={"code": wrong}, headers=member.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "code"
    me = client.get("/v1/me", headers=member.headers).json()
    assert me["email_verified"] is False
    assert client.post("/v1/me/email/verification", json={"code": code}, headers=member.headers).status_code == 204
    me = client.get("/v1/me", headers=member.headers).json()
    assert me["email"] == address and me["email_verified"] is True
    # Used up; and nobody else sees the address.
    assert client.post("/v1/me/email/verification", json={"code": code},
                       headers=member.headers).status_code == 422
    assert address not in client.get(f"/v1/accounts/{member.id}").text
    other = sign_up(client)
    assert address not in client.get(f"/v1/accounts/{member.id}", headers=other.headers).text
    # The code and the address never reach the service's log.
    assert code not in caplog.text and address not in caplog.text


def test_a_verified_member_gets_the_emails_they_chose(client: TestClient, member: Member, tmp_path: Path) -> None:
    address = "wang.lili@example.cn"
    verify_email(client, member, address, tmp_path)
    helper = sign_up(client)
    answer(client, helper, ask(client, member))
    deliver(client)
    assert [m["Subject"] for m in mails(tmp_path, address)][-1] == "【美记】你的问题有了新回答"
    r = client.put("/v1/me/notification-settings", json={"push": True, "email": False}, headers=member.headers)
    assert r.status_code == 200
    answer(client, helper, ask(client, member))
    deliver(client)
    assert [m["Subject"] for m in mails(tmp_path, address)].count("【美记】你的问题有了新回答") == 1


def test_a_forgotten_password_is_reset_once_by_the_mailed_link(db_client: TestClient, tmp_path: Path) -> None:
    client, member = db_client, sign_up(db_client)  # on SQLite and on PostgreSQL
    address = "zhao.min@example.cn"
    verify_email(client, member, address, tmp_path)
    phone = sign_in(client, member, "Meiji/3.2 (Android 15)")
    # 202 whether or not the account exists, and whatever the login names.
    for login in (member.handle, "没有这个人", "nobody@example.cn"):
        assert client.post("/v1/password-resets", json={"login": login}).status_code == 202
    deliver(client)
    [letter] = [m for m in mails(tmp_path, address) if m["Subject"] == "【美记】重置密码"]
    link = re.search(r"/v1/password-resets/([A-Za-z0-9_-]{43})", body(letter))
    assert link is not None
    token = link.group(1)
    assert client.post("/v1/password-resets/not-a-token", json={"new_password": NEW_PASSWORD}).status_code == 404
    r = client.post(f"/v1/password-resets/{token}", json={"new_password": "短"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "new_password"
    assert client.post(f"/v1/password-resets/{token}", json={"new_password": NEW_PASSWORD}).status_code == 204
    # Every session ended; the new password signs in, the old one does not; the link is used up.
    assert client.get("/v1/me", headers=member.headers).status_code == 401
    assert client.get("/v1/me", headers=phone.headers).status_code == 401
    assert client.post("/v1/sessions", json={"handle": member.handle, "password": PASSWORD}).status_code == 401
    fresh = sign_in(client, member, password=NEW_PASSWORD)
    assert client.post(f"/v1/password-resets/{token}", json={"new_password": PASSWORD}).status_code == 404
    # A link is good for 30 minutes, by email address too.
    assert client.post("/v1/password-resets", json={"login": address}).status_code == 202
    deliver(client)
    later = [m for m in mails(tmp_path, address) if m["Subject"] == "【美记】重置密码"][-1]
    second = re.search(r"/v1/password-resets/([A-Za-z0-9_-]{43})", body(later))
    assert second is not None and second.group(1) != token
    clock.advance(minutes=31)
    assert client.post(f"/v1/password-resets/{second.group(1)}",
                       json={"new_password": PASSWORD}).status_code == 404
    assert client.get("/v1/me", headers=fresh.headers).status_code == 200


def test_no_mail_without_a_verified_address(client: TestClient, member: Member, tmp_path: Path) -> None:
    assert client.put("/v1/me/email", json={"email": "unverified@example.cn"},
                      headers=member.headers).status_code == 202
    assert client.post("/v1/password-resets", json={"login": member.handle}).status_code == 202
    assert client.post("/v1/password-resets", json={"login": "unverified@example.cn"}).status_code == 202
    deliver(client)
    subjects = [m["Subject"] for m in mails(tmp_path, "unverified@example.cn")]
    assert subjects == ["【美记】邮箱验证码"]


def test_the_birth_date_is_corrected_once_with_a_reason(client: TestClient, member: Member) -> None:
    r = client.put("/v1/me/birth-date", json={"birth_date": "1994-06-20", "reason": "注册时把月份选错了"},
                   headers=member.headers)
    assert r.status_code == 200, r.text
    assert r.json()["birth_date"] == "1994-06-20" and r.json()["birth_date_corrected"] is True
    again = client.put("/v1/me/birth-date", json={"birth_date": "1990-01-01", "reason": "再改一次"},
                       headers=member.headers)
    assert again.status_code == 409
    assert client.get("/v1/me", headers=member.headers).json()["birth_date"] == "1994-06-20"
    portal = client.portal
    assert portal is not None

    async def corrections() -> list[tuple[str | None, str, str]]:
        return [(c.old_value, c.new_value, c.reason) for c in await AccountCorrection.filter(account_id=member.id)]

    assert portal.call(corrections) == [("1994-05-20", "1994-06-20", "注册时把月份选错了")]
    # Nobody else sees the birth date.
    assert "1994-06-20" not in client.get(f"/v1/accounts/{member.id}").text


@pytest.mark.parametrize(("payload", "field"), [
    ({"birth_date": "2020-02-30", "reason": "写错了"}, "birth_date"),
    ({"birth_date": "2099-01-01", "reason": "写错了"}, "birth_date"),
    ({"birth_date": "2018-01-01", "reason": "写错了"}, "birth_date"),
    ({"birth_date": "1994-06-20"}, "reason"),
])
def test_a_bad_correction_names_the_field_and_changes_nothing(client: TestClient, member: Member,
                                                              payload: dict[str, str], field: str) -> None:
    r = client.put("/v1/me/birth-date", json=payload, headers=member.headers)
    assert r.status_code == 422
    assert field in [e["field"] for e in r.json()["errors"]]
    assert client.get("/v1/me", headers=member.headers).json()["birth_date_corrected"] is False


def test_a_member_under_14_writes_once_the_guardian_confirms(db_client: TestClient, tmp_path: Path) -> None:
    client = db_client  # on SQLite and on PostgreSQL
    guardian = "mama.li@example.cn"
    r = client.post("/v1/accounts", json={"handle": "小林同学", "password": PASSWORD, "birth_date": "2014-09-01",
                                          "guardian_consent": True, "guardian_email": guardian})
    assert r.status_code == 201, r.text
    assert r.json()["awaiting_guardian"] is True
    child = sign_in(client, Member(r.json()["id"], "小林同学", ""))
    adult = sign_up(client)
    # Reads, but does not write yet; other members write as ever.
    assert client.get("/v1/questions", headers=child.headers).status_code == 200
    r = client.post("/v1/questions", json={"title": "牙齿矫正要戴多久牙套？", "body": "<p>妈妈说要先问问医生。</p>",
                                           "anonymous": False}, headers=child.headers)
    assert r.status_code == 403 and "guardian" in r.json()["detail"]
    ask(client, adult)
    deliver(client)
    [letter] = mails(tmp_path, guardian)
    assert letter["Subject"] == "【美记】请确认您孩子的美记账号" and "小林同学" in body(letter)
    link = re.search(r"/v1/guardian-consents/([A-Za-z0-9_-]{43})", body(letter))
    assert link is not None
    assert client.post("/v1/guardian-consents/not-a-token").status_code == 404
    seen = client.get(f"/v1/guardian-consents/{link.group(1)}")
    assert seen.status_code == 200 and seen.json()["handle"] == "小林同学" and seen.json()["confirmed_at"] is None
    confirmed = client.post(f"/v1/guardian-consents/{link.group(1)}")
    assert confirmed.status_code == 200 and confirmed.json()["confirmed_at"] is not None
    assert client.get("/v1/me", headers=child.headers).json()["awaiting_guardian"] is False
    r = client.post("/v1/questions", json={"title": "牙齿矫正要戴多久牙套？", "body": "<p>妈妈已经同意我来问了。</p>",
                                           "anonymous": False}, headers=child.headers)
    assert r.status_code == 201, r.text
    # The consent record: who was asked, and when they confirmed.
    portal = client.portal
    assert portal is not None

    async def record() -> tuple[str, bool]:
        row = await GuardianConsent.get(account_id=int(child.id))
        return row.guardian_email, row.confirmed_at is not None

    assert portal.call(record) == (guardian, True)


def test_a_deleted_account_keeps_no_address_and_gets_no_more_mail(client: TestClient, member: Member,
                                                                  tmp_path: Path) -> None:
    address = "sun.qing@example.cn"
    verify_email(client, member, address, tmp_path)
    assert client.put("/v1/me/notification-settings", json={"push": False, "email": True},
                      headers=member.headers).status_code == 200
    answer(client, sign_up(client), ask(client, member))  # a mail queued, not yet sent
    r = client.request("DELETE", "/v1/me", json={"password": PASSWORD, "content": "delete"}, headers=member.headers)
    assert r.status_code == 204, r.text
    sent_before = len(mails(tmp_path, address))
    deliver(client)
    assert len(mails(tmp_path, address)) == sent_before
    # Nor can the address reset anything any more.
    assert client.post("/v1/password-resets", json={"login": address}).status_code == 202
    deliver(client)
    assert len(mails(tmp_path, address)) == sent_before
