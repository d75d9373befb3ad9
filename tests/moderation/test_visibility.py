"""Removed content answers 451 {case_id, reason} wherever it could be read, except to moderators and
its author; it leaves lists and search before the decision returns."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

import search.services
from tests.conftest import Member, sign_up
from tests.moderation.conftest import answer, ask, decide, file_notice, item_of


def drain(client: TestClient) -> None:
    """Let the indexer catch up, as it does within 2 s in a running service."""
    state: Any = client.app.state  # type: ignore[attr-defined]
    portal = client.portal
    assert portal is not None
    portal.call(search.services.drain, state.search, state.documents)


def hits(client: TestClient, q: str) -> set[tuple[str, str]]:
    r = client.get("/v1/search", params={"q": q})
    assert r.status_code == 200, r.text
    return {(h["type"], h["id"]) for h in r.json()["items"]}


def test_a_removed_question_answers_451_everywhere(client: TestClient, member: Member, moderator: Member) -> None:
    question = ask(client, member, body="<p>热玛吉做完一个月，下颌线没有变化，是不是被骗了？</p>")
    reader = sign_up(client)
    reply = answer(client, reader, question, "<p>热玛吉效果一般三个月后才明显，再等等看。</p>")
    case_id, _ = file_notice(client, [{"type": "question", "id": question}], notice_type="reputation")
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "remove", "不实信息")

    assert question not in [q["id"] for q in client.get("/v1/questions").json()["items"]]
    assert question not in [q["id"] for q in client.get("/v1/questions", headers=reader.headers).json()["items"]]
    for headers in ({}, reader.headers):
        for path in (f"/v1/questions/{question}", f"/v1/questions/{question}/answers",
                     f"/v1/comments?target_type=answer&target_id={reply}"):
            r = client.get(path, headers=headers)
            assert r.status_code == 451, (path, r.text)
            assert r.json()["case_id"] == case_id
            assert r.json()["reason"] == "reputation"
            assert r.headers["content-type"] == "application/problem+json"
    for headers in (member.headers, moderator.headers):
        r = client.get(f"/v1/questions/{question}", headers=headers)
        assert r.status_code == 200
        assert r.json()["status"] == "removed"


def test_a_restored_question_comes_back_everywhere(client: TestClient, member: Member, moderator: Member) -> None:
    question = ask(client, member, body="<p>水光针打完脸上有小红点，正常吗？</p>")
    case_id, token = file_notice(client, [{"type": "question", "id": question}])
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "remove", "侵权")
    client.post(f"/v1/notices/{case_id}/withdrawal", json={"reason": "误投"}, headers={"X-Case-Token": token})
    assert client.get(f"/v1/questions/{question}").status_code == 200
    assert question in [q["id"] for q in client.get("/v1/questions").json()["items"]]
