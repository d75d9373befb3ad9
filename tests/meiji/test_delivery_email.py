"""Email leaves the service: to a real SMTP server on 127.0.0.1, and as .eml files on the embedded
default; Chinese subjects and bodies correctly encoded; a rights holder hears of every step of
their case and never receives the case token."""

from __future__ import annotations

import email
import email.policy
import logging
import re
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from starlette.testclient import TestClient

from kernel.clock import clock
from tests.conftest import AppFactory, Member, sign_up
from tests.meiji.test_delivery import deliver
from tests.moderation.conftest import CLAIMANT, ask, decide, file_notice, item_of, tick

COUNTER = {"statement": "照片为本人术后自拍，原图及拍摄时间可证明，不存在侵权。", "name": "王悦",
           "phone": "+86 186-0000-1111", "address": "杭州市西湖区文三路100号", "proof_media_ids": [],
           "accurate": True, "signature": "王悦"}


class Inbox:
    """An SMTP server's handler: keeps every message it accepts, as sent (raw bytes)."""

    def __init__(self) -> None:
        self.raw: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.raw.append((list(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content)))
        return "250 OK"

    def messages(self, to: str) -> list[EmailMessage]:
        found = [email.message_from_bytes(raw, policy=email.policy.default) for rcpts, raw in self.raw if to in rcpts]
        return [m for m in found if isinstance(m, EmailMessage)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    # The test server's own log names every recipient: it is not the service's log, keep it out.
    server_log = logging.getLogger("mail.log")
    level = server_log.level
    server_log.setLevel(logging.WARNING)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()
    server_log.setLevel(level)


@pytest.fixture(autouse=True)
def restore_clock() -> Iterator[None]:
    offset = clock.offset
    yield
    clock.offset = offset


@pytest.fixture
def mailing(make_client: AppFactory, inbox: tuple[Inbox, int]) -> Iterator[TestClient]:
    with make_client(smtp_url=f"smtp://127.0.0.1:{inbox[1]}") as c:
        yield c


def text_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    content: str = part.get_content()
    return content


def test_a_rights_holder_hears_of_every_step_of_their_case(mailing: TestClient, inbox: tuple[Inbox, int]) -> None:
    box, _ = inbox
    poster, moderator = sign_up(mailing), sign_up(mailing, role="moderator")
    question = ask(mailing, poster)
    case_id, token = file_notice(mailing, [{"type": "question", "id": question}])
    decide(mailing, moderator, item_of(mailing, moderator, "question", question)["id"], "request_info",
           "请补充原图的拍摄时间与权属证明")
    r = mailing.post(f"/v1/notices/{case_id}/supplements", json={"description": "附上原图EXIF截图与著作权登记证书"},
                     headers={"X-Case-Token": token})
    assert r.status_code == 200, r.text
    decide(mailing, moderator, item_of(mailing, moderator, "question", question)["id"], "remove", "侵权成立")
    r = mailing.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER, headers=poster.headers)
    assert r.status_code == 201, r.text
    decide(mailing, moderator, item_of(mailing, moderator, "question", question)["id"], "forward_counter",
           "反通知要素齐全")
    clock.advance(days=16)
    assert tick(mailing)["cases_restored"] == 1
    deliver(mailing)

    letters = box.messages(CLAIMANT["email"])
    subjects = [m["Subject"] for m in letters]
    assert subjects == ["【美记】已收到您的侵权通知", "【美记】您的侵权通知需要补充材料",
                        "【美记】已对您投诉的内容采取措施", "【美记】发布者提交了反通知", "【美记】被投诉的内容已恢复"]
    bodies = [text_of(m) for m in letters]
    assert all(f"/v1/notices/{case_id}" in b and "X-Case-Token" in b for b in bodies)
    assert "请补充原图的拍摄时间与权属证明" in bodies[1]
    # The counter-notice letter carries what the law forwards, and the 15-day clock.
    assert all(fact in bodies[3] for fact in ("王悦", "+86 186-0000-1111", "杭州市西湖区文三路100号", "15 日"))
    # The token is never mailed; the subject travels encoded, the body as UTF-8.
    raw = b"".join(r for rcpts, r in box.raw if CLAIMANT["email"] in rcpts)
    assert token.encode() not in raw
    assert b"=?utf-8?" in raw and "【美记】".encode() not in raw.split(b"\r\n\r\n", 1)[0]
    assert all(m.get_content_charset() == "utf-8" for m in letters)
    # The poster's own mail (none: no verified address) and nobody else got these letters.
    assert {r for rcpts, _ in box.raw for r in rcpts} == {CLAIMANT["email"]}


def test_two_posters_answering_one_case_each_reach_the_claimant_once_as_themselves(
        mailing: TestClient, inbox: tuple[Inbox, int]) -> None:
    box, _ = inbox
    named, shy, moderator = sign_up(mailing), sign_up(mailing), sign_up(mailing, role="moderator")
    hers = [ask(mailing, shy, anonymous=True), ask(mailing, shy)]  # one anonymous post, one by name
    his = ask(mailing, named)
    case_id, token = file_notice(mailing, [{"type": "question", "id": q} for q in (*hers, his)])
    decide(mailing, moderator, item_of(mailing, moderator, "question", his)["id"], "remove", "侵权成立")
    theirs = {**COUNTER, "name": "赵晴", "phone": "+86 135-7777-8888", "address": "南京市鼓楼区中山路1号",
              "signature": "赵晴"}
    for member, answer in ((shy, theirs), (named, COUNTER)):
        r = mailing.post(f"/v1/notices/{case_id}/counter-notices", json=answer, headers=member.headers)
        assert r.status_code == 201, r.text

    # Before any forwarding the claimant's timeline says two counter-notices came, not for which posts.
    steps = mailing.get(f"/v1/notices/{case_id}", headers={"X-Case-Token": token}).json()["timeline"]
    received = [s for s in steps if s["event"] == "counter_received"]
    assert len(received) == 2 and all("targets" not in s for s in received)
    # Nor does it carry the moderator's own words where they tell the claimant nothing to do.
    assert all(s["note"] == "" for s in steps if s["event"] == "measures_taken")

    # Forwarded the same day, his first: each letter carries its own poster's details.
    for question in (his, hers[0]):
        decide(mailing, moderator, item_of(mailing, moderator, "question", question)["id"], "forward_counter",
               "反通知要素齐全")
    # Her other post's item went with her part: one decision for her two posts.
    deliver(mailing)
    forwarded = [text_of(m) for m in box.messages(CLAIMANT["email"]) if m["Subject"] == "【美记】发布者提交了反通知"]
    assert len(forwarded) == 2, forwarded
    assert "王悦" in forwarded[0] and "赵晴" not in forwarded[0]
    assert "赵晴" in forwarded[1] and "南京市鼓楼区中山路1号" in forwarded[1] and "王悦" not in forwarded[1]


def test_a_counter_notice_accepted_on_review_is_told_as_such(mailing: TestClient, inbox: tuple[Inbox, int]) -> None:
    box, _ = inbox
    poster, moderator = sign_up(mailing), sign_up(mailing, role="moderator")
    question = ask(mailing, poster)
    case_id, _ = file_notice(mailing, [{"type": "question", "id": question}])
    decide(mailing, moderator, item_of(mailing, moderator, "question", question)["id"], "remove", "侵权成立")
    r = mailing.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER, headers=poster.headers)
    assert r.status_code == 201, r.text
    decide(mailing, moderator, item_of(mailing, moderator, "question", question)["id"], "restore",
           "作者提供了拍摄原图，确属本人作品")
    deliver(mailing)
    [restored] = [text_of(m) for m in box.messages(CLAIMANT["email"]) if m["Subject"] == "【美记】被投诉的内容已恢复"]
    assert "反通知" in restored and "规定期限" not in restored


def test_a_rejected_notice_closes_with_its_reason(mailing: TestClient, inbox: tuple[Inbox, int]) -> None:
    box, _ = inbox
    poster, moderator = sign_up(mailing), sign_up(mailing, role="moderator")
    question = ask(mailing, poster)
    file_notice(mailing, [{"type": "question", "id": question}])
    decide(mailing, moderator, item_of(mailing, moderator, "question", question)["id"], "reject_notice",
           "所附证据不能证明权属")
    deliver(mailing)
    letters = box.messages(CLAIMANT["email"])
    assert [m["Subject"] for m in letters] == ["【美记】已收到您的侵权通知", "【美记】您的侵权通知已结案"]
    assert "所附证据不能证明权属" in text_of(letters[1])


def test_without_smtp_mail_is_written_as_eml_files(client: TestClient, member: Member, tmp_path: Path) -> None:
    question = ask(client, member)
    case_id, token = file_notice(client, [{"type": "question", "id": question}])
    assert deliver(client).delivered >= 1
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    assert msg["To"] == CLAIMANT["email"] and msg["Subject"] == "【美记】已收到您的侵权通知"
    assert case_id in text_of(msg) and token not in files[0].read_text(encoding="ascii", errors="replace")
    assert not list((tmp_path / "mail").glob(".*.part"))


def test_an_smtp_server_that_is_down_is_retried(make_client: AppFactory) -> None:
    with make_client(smtp_url=f"smtp://127.0.0.1:{free_port()}") as c:
        poster = sign_up(c)
        file_notice(c, [{"type": "question", "id": ask(c, poster)}])
        done = deliver(c)
        assert done.retried == 1 and done.delivered == 0


def test_the_outbox_delivers_on_each_database(db_client: TestClient, tmp_path: Path) -> None:
    """The worker takes rows by a conditional update on their due time: on SQLite and PostgreSQL alike."""
    poster = sign_up(db_client)
    file_notice(db_client, [{"type": "question", "id": ask(db_client, poster)}])
    first = deliver(db_client)
    assert first.delivered == 1 and first.retried == 0
    assert deliver(db_client).delivered == 0  # delivered once, not again
    [path] = (tmp_path / "mail").glob("*.eml")
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert msg["Subject"] == "【美记】已收到您的侵权通知"


def test_a_poster_who_verified_an_email_gets_the_takedown_whatever_they_chose(
        mailing: TestClient, inbox: tuple[Inbox, int]) -> None:
    box, _ = inbox
    poster, moderator = sign_up(mailing), sign_up(mailing, role="moderator")
    address = "wang.yue@example.cn"
    assert mailing.put("/v1/me/email", json={"email": address}, headers=poster.headers).status_code == 202
    deliver(mailing)
    [code_mail] = box.messages(address)
    code = re.search(r"\d{6}", text_of(code_mail))
    assert code is not None
    r = mailing.post("/v1/me/email/verification", json={"code": code.group()}, headers=poster.headers)
    assert r.status_code == 204
    r = mailing.put("/v1/me/notification-settings", json={"push": False, "email": False}, headers=poster.headers)
    assert r.status_code == 200
    question = ask(mailing, poster)
    file_notice(mailing, [{"type": "question", "id": question}])
    decide(mailing, moderator, item_of(mailing, moderator, "question", question)["id"], "remove", "侵权成立")
    deliver(mailing)
    subjects = [m["Subject"] for m in box.messages(address)]
    assert "【美记】你发布的内容因权利人通知被删除" in subjects
    # The claimant's contact details never reach the poster's letter.
    assert all(CLAIMANT["phone"] not in text_of(m) and CLAIMANT["email"] not in text_of(m)
               for m in box.messages(address))
