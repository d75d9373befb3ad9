"""Reports (举报): filing, repeats, auto-hiding, decisions on them, and the screener."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.testclient import TestClient

from kernel.settings import RateLimit
from kernel.web.auth import Principal
from tests.conftest import AppFactory, Member, sign_up
from tests.moderation.conftest import ask, decide, item_of, notifications


def test_a_report_is_filed_once_per_reporter(client: TestClient, member: Member, moderator: Member) -> None:
    question = ask(client, member)
    reporter = sign_up(client)
    body = {"target_type": "question", "target_id": question, "reason": "advertising",
            "detail": "帖子里反复推荐同一家机构"}
    first = client.post("/v1/reports", json=body, headers=reporter.headers)
    assert first.status_code == 201
    again = client.post("/v1/reports", json={**body, "reason": "spam"}, headers=reporter.headers)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["reason"] == "advertising"

    item = item_of(client, moderator, "question", question)
    assert item["kind"] == "report"
    assert item["report_count"] == 1
    assert item["reasons"] == {"advertising": 1}
    assert item["status"] == "open"


def test_reports_are_checked(client: TestClient, member: Member) -> None:
    question = ask(client, member)
    own = client.post("/v1/reports", json={"target_type": "question", "target_id": question, "reason": "spam"},
                      headers=member.headers)
    assert own.status_code == 422
    assert own.json()["errors"][0]["field"] == "target_id"
    other = sign_up(client)
    missing = client.post("/v1/reports", json={"target_type": "question", "target_id": "999999", "reason": "spam"},
                          headers=other.headers)
    assert missing.status_code == 404
    bad = client.post("/v1/reports", json={"target_type": "question", "target_id": question, "reason": "ugly"},
                      headers=other.headers)
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["reason"]
    anonymous = client.post("/v1/reports", json={"target_type": "question", "target_id": question, "reason": "spam"})
    assert anonymous.status_code == 401


def test_three_members_hide_the_target_until_a_moderator_keeps_it(client: TestClient, member: Member,
                                                                   moderator: Member) -> None:
    question = ask(client, member)
    reporters = [sign_up(client) for _ in range(3)]
    for index, reporter in enumerate(reporters):
        assert client.get(f"/v1/questions/{question}").status_code == 200
        r = client.post("/v1/reports", json={"target_type": "question", "target_id": question,
                                             "reason": "harassment" if index else "misinformation"},
                        headers=reporter.headers)
        assert r.status_code == 201

    assert client.get(f"/v1/questions/{question}").status_code == 404
    assert client.get(f"/v1/questions/{question}", headers=reporters[0].headers).status_code == 404
    mine = client.get(f"/v1/questions/{question}", headers=member.headers)
    assert mine.status_code == 200
    assert mine.json()["status"] == "hidden"
    assert question not in [q["id"] for q in client.get("/v1/questions").json()["items"]]
    assert [n["kind"] for n in notifications(client, member)] == ["hidden"]

    item = item_of(client, moderator, "question", question)
    assert item["report_count"] == 3
    assert item["reasons"] == {"misinformation": 1, "harassment": 2}
    decide(client, moderator, item["id"], "keep", "内容属实，不构成骚扰")

    assert client.get(f"/v1/questions/{question}").status_code == 200
    outcomes = [n for n in notifications(client, reporters[0]) if n["kind"] == "report_outcome"]
    assert outcomes[0]["payload"]["outcome"] == "kept"


def test_two_reports_do_not_hide(client: TestClient, member: Member) -> None:
    question = ask(client, member)
    for _ in range(2):
        r = client.post("/v1/reports", json={"target_type": "question", "target_id": question, "reason": "spam"},
                        headers=sign_up(client).headers)
        assert r.status_code == 201
    assert client.get(f"/v1/questions/{question}").status_code == 200


def test_removal_on_reports_answers_410_and_strikes(client: TestClient, member: Member, moderator: Member) -> None:
    question = ask(client, member)
    reporter = sign_up(client)
    client.post("/v1/reports", json={"target_type": "question", "target_id": question, "reason": "advertising"},
                headers=reporter.headers)
    item = item_of(client, moderator, "question", question)
    decided = decide(client, moderator, item["id"], "remove", "机构软文，违反社区规范")
    assert decided["status"] == "resolved"

    # A policy removal is "gone", not "unavailable for legal reasons": 410 {reason}, no case.
    for headers in ({}, reporter.headers):
        gone = client.get(f"/v1/questions/{question}", headers=headers)
        assert gone.status_code == 410
        assert gone.json()["reason"] == "advertising" and "case_id" not in gone.json()
        assert gone.headers["content-type"] == "application/problem+json"
    assert client.get(f"/v1/questions/{question}/answers", headers=reporter.headers).status_code == 410
    assert question not in [q["id"] for q in client.get("/v1/questions").json()["items"]]
    assert client.get(f"/v1/questions/{question}", headers=member.headers).status_code == 200
    assert client.get(f"/v1/questions/{question}", headers=moderator.headers).status_code == 200
    kinds = [n["kind"] for n in notifications(client, member)]
    assert "removed" in kinds and "strike" in kinds


def test_an_account_can_be_reported(client: TestClient, member: Member, moderator: Member) -> None:
    reporter = sign_up(client)
    r = client.post("/v1/reports", json={"target_type": "account", "target_id": member.id, "reason": "harassment",
                                         "detail": "私信骚扰"}, headers=reporter.headers)
    assert r.status_code == 201
    item = item_of(client, moderator, "account", member.id)
    assert item["target"]["author"] == {"id": member.id, "handle": member.handle}
    decide(client, moderator, item["id"], "remove", "多次骚扰其他用户")
    blocked = client.post("/v1/questions", json={"title": "还能发帖吗", "body": "<p>测试</p>", "anonymous": False},
                          headers=member.headers)
    assert blocked.status_code == 403
    self_report = client.post("/v1/reports", json={"target_type": "account", "target_id": reporter.id,
                                                   "reason": "other"}, headers=reporter.headers)
    assert self_report.status_code == 422


def test_the_screener_queues_off_platform_contact_details(client: TestClient, member: Member,
                                                          moderator: Member) -> None:
    clean = ask(client, member)
    ad = ask(client, member, body="<p>想做同款鼻综合的姐妹加微信 meiyan_2024 详聊，报我名字有返现</p>")
    phone = ask(client, member, body="<p>咨询请致电 138 0013 8000，周末也有医生</p>")

    r = client.get("/v1/moderation/queue?kind=report&limit=100", headers=moderator.headers)
    queued = {i["target"]["id"]: i for i in r.json()["items"] if i["target"]["type"] == "question"}
    assert clean not in queued
    assert queued[ad]["reasons"] == {"advertising": 1}
    assert queued[phone]["reasons"] == {"advertising": 1}
    assert client.get(f"/v1/questions/{ad}").status_code == 200  # screening never blocks publishing
    detail = client.get(f"/v1/moderation/queue/{queued[ad]['id']}", headers=moderator.headers).json()
    assert detail["reports"][0]["system"] is True
    assert "wechat id" in detail["reports"][0]["detail"]


def test_report_floods_are_rate_limited(make_client: AppFactory) -> None:
    with make_client(rate_limits={"ip": RateLimit(10_000, 60), "token": RateLimit(10_000, 60),
                                  "signup": RateLimit(100, 60), "login": RateLimit(100, 60),
                                  "report": RateLimit(2, 3600)}) as client:
        author = sign_up(client)
        reporter = sign_up(client)
        questions = [ask(client, author) for _ in range(3)]
        codes = [client.post("/v1/reports", json={"target_type": "question", "target_id": q, "reason": "spam"},
                             headers=reporter.headers).status_code for q in questions]
        assert codes[:2] == [201, 201]
        assert codes[2] == 429


async def _report_at_once(state: Any, question: str, reporters: list[Principal]) -> list[bool]:
    from moderation.services import reports
    from moderation.vocabulary import ReportReason

    async def one(reporter: Principal) -> bool:
        _, created = await reports.file_report(state, reporter, target_type="question", target_id=question,
                                               reason=ReportReason.SPAM, detail="")
        return created

    return list(await asyncio.gather(*(one(r) for r in reporters)))


def test_reports_at_once_make_one_item_and_hide_once(db_client: TestClient) -> None:
    author = sign_up(db_client)
    moderator = sign_up(db_client, role="moderator")
    question = ask(db_client, author)
    members = [sign_up(db_client) for _ in range(3)]
    principals = [Principal(int(m.id), m.handle, "member") for m in members]
    portal = db_client.portal
    assert portal is not None
    state = db_client.app.state.services  # type: ignore[attr-defined]
    created = portal.call(_report_at_once, state, question, [*principals, principals[0]])
    assert sorted(created) == [False, True, True, True]
    queued = db_client.get("/v1/moderation/queue", headers=moderator.headers).json()["items"]
    assert [(i["target"]["id"], i["report_count"]) for i in queued] == [(question, 3)]
    assert db_client.get(f"/v1/questions/{question}").status_code == 404
    assert [n["kind"] for n in notifications(db_client, author)] == ["hidden"]
