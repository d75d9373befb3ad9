"""Removed content answers 451 {case_id, reason} wherever it could be read, except to moderators and
its author; it leaves lists and search before the decision returns."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

import search.services
from tests.conftest import Member, sign_up, upload
from tests.content.factories import diary, entry, reference, review
from tests.moderation.conftest import answer, ask, decide, file_notice, item_of


def drain(client: TestClient) -> None:
    """Let the indexer catch up, as it does within 2 s in a running service."""
    state: Any = client.app.state.services  # type: ignore[attr-defined]
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
    drain(client)
    assert ("question", question) in hits(client, "热玛吉")
    case_id, _ = file_notice(client, [{"type": "question", "id": question}], notice_type="reputation")
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "remove", "不实信息")
    assert ("question", question) not in hits(client, "热玛吉")  # before any indexer round

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
    drain(client)
    assert ("question", question) in hits(client, "水光针")


def test_a_removed_diary_and_review_answer_451_and_leave_search_media_and_ratings(
        client: TestClient, moderator: Member) -> None:
    ref = reference(client)
    author, reader = sign_up(client), sign_up(client)
    cover, photo = upload(client, author), upload(client, author)
    d = diary(client, author, ref, title="鼻综合术后恢复记录", before_media_ids=[cover])
    e = entry(client, author, d["id"], body="<p>鼻综合第十天，肿胀消了一半</p>", media_ids=[photo])
    rv = review(client, author, ref, rating=1, body="<p>鼻综合做歪了，医院拒绝修复</p>")
    review(client, reader, ref, rating=5, body="<p>环境很好，医生耐心</p>")
    drain(client)
    assert {("diary", d["id"]), ("review", rv["id"])} <= hits(client, "鼻综合")
    variant = client.get(f"/v1/media/{photo}").json()["variants"]["thumb"]["url"]
    assert client.get(variant).status_code == 200
    assert client.get(f"/v1/clinics/{ref['clinic']['id']}").json()["rating"]["count"] == 2

    case_id, _ = file_notice(client, [{"url": f"http://127.0.0.1:8000/v1/diaries/{d['id']}"},
                                      {"type": "review", "id": rv["id"]}], notice_type="portrait")
    decide(client, moderator, item_of(client, moderator, "diary", d["id"])["id"], "remove", "使用他人照片")

    # Search, media and counts change before the decision's response, without an indexer round.
    assert {("diary", d["id"]), ("review", rv["id"]), ("diary_entry", e["id"])}.isdisjoint(hits(client, "鼻综合"))
    for media_id in (cover, photo):
        assert client.get(f"/v1/media/{media_id}", headers=reader.headers).status_code == 404
    assert client.get(variant).status_code == 404
    rating = client.get(f"/v1/clinics/{ref['clinic']['id']}").json()["rating"]
    assert rating["count"] == 1 and rating["average"] == 5
    for path in (f"/v1/diaries/{d['id']}", f"/v1/diaries/{d['id']}/entries", f"/v1/reviews/{rv['id']}",
                 f"/v1/comments?target_type=diary&target_id={d['id']}"):
        for headers in ({}, reader.headers):
            r = client.get(path, headers=headers)
            assert r.status_code == 451, (path, r.text)
            assert (r.json()["case_id"], r.json()["reason"]) == (case_id, "portrait")
    assert client.get("/v1/diaries").json()["items"] == []
    assert rv["id"] not in [x["id"] for x in client.get("/v1/reviews").json()["items"]]
    assert client.get(f"/v1/diaries/{d['id']}", headers=author.headers).json()["status"] == "removed"
    assert client.get(f"/v1/media/{photo}", headers=author.headers).status_code == 200
    assert client.get(f"/v1/media/{photo}", headers=moderator.headers).status_code == 200
    drain(client)
    assert {("diary", d["id"]), ("review", rv["id"])}.isdisjoint(hits(client, "鼻综合"))


def test_a_removed_answer_leaves_its_question(client: TestClient, member: Member, moderator: Member) -> None:
    question = ask(client, member)
    helper = sign_up(client)
    kept = answer(client, sign_up(client), question, "<p>冷敷48小时，之后热敷。</p>")
    advert = answer(client, helper, question, "<p>我们医院有专业消肿方案，详情私聊。</p>")
    case_id, _ = file_notice(client, [{"type": "answer", "id": advert}], notice_type="other")
    decide(client, moderator, item_of(client, moderator, "answer", advert)["id"], "remove", "广告引流")
    listed = client.get(f"/v1/questions/{question}/answers").json()["items"]
    assert [a["id"] for a in listed] == [kept]
    r = client.get(f"/v1/comments?target_type=answer&target_id={advert}")
    assert r.status_code == 451 and r.json()["case_id"] == case_id
