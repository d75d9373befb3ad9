"""Every write under a hidden, removed or deleted parent answers as the parent answers the public's read.

The author of a hidden diary and the moderators can still read it, but nothing can be added to it, edited
in it or voted, liked or accepted under it until it is public again: an edit there would publish (a new
photo in an entry of a removed diary used to be served). The authors may still delete their own posts.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from content.services import set_status
from tests.conftest import Member, upload
from tests.content._people import person
from tests.content.factories import diary, entry, reference, review


def _ok(r: Any) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    return r.json()  # type: ignore[no-any-return]


def world(client: TestClient) -> dict[str, Any]:
    """A diary with an entry, a question with answers and a review, each with comments."""
    ref = reference(client)
    author, helper, moderator = person(client), person(client), person(client, role="moderator")
    d = diary(client, author, ref, title="鼻综合手术恢复记录")
    e = entry(client, author, d["id"], body="<p>术后第七天，鼻子还是有点肿</p>", media_ids=[upload(client, author)])

    def comment(target_type: str, target_id: str, body: str) -> str:
        return str(_ok(client.post("/v1/comments", json={"target_type": target_type, "target_id": target_id,
                                                         "body": body}, headers=helper.headers))["id"])

    q = _ok(client.post("/v1/questions", json={"title": "鼻综合多久能消肿？", "body": "<p>第一次做，有点紧张</p>"},
                        headers=author.headers))
    answer = _ok(client.post(f"/v1/questions/{q['id']}/answers", json={"body": "<p>一般一个月消大肿</p>"},
                             headers=helper.headers))
    own_answer = _ok(client.post(f"/v1/questions/{q['id']}/answers", json={"body": "<p>补充一下我的情况</p>"},
                                 headers=author.headers))
    r = review(client, author, ref, body="<p>医生审美在线，恢复期护士很负责</p>")
    return {"author": author, "helper": helper, "moderator": moderator, "diary": d, "entry": e,
            "question": q, "answer": answer, "own_answer": own_answer, "review": r,
            "diary_comment": comment("diary", d["id"], "恢复得真快"),
            "entry_comment": comment("diary_entry", e["id"], "加油"),
            "answer_comment": comment("answer", answer["id"], "说得对"),
            "review_comment": comment("review", r["id"], "请问价格多少")}


def writes(w: dict[str, Any], new_photo: str) -> dict[str, list[tuple[Member, str, str, dict[str, Any] | None]]]:
    """Every write route under each parent, by whoever could otherwise make it (author, moderator)."""
    a, m = w["author"], w["moderator"]
    d, e, q, r = w["diary"]["id"], w["entry"]["id"], w["question"]["id"], w["review"]["id"]
    ans, own = w["answer"]["id"], w["own_answer"]["id"]

    def comment(target_type: str, target_id: str, **extra: str) -> dict[str, Any]:
        return {"target_type": target_type, "target_id": target_id, "body": "我也想问问", **extra}

    return {
        f"/v1/diaries/{d}": [
            (a, "POST", f"/v1/diaries/{d}/entries", {"body": "<p>第十天</p>", "happened_on": "2026-10-11",
                                                    "media_ids": [new_photo]}),
            (a, "PATCH", f"/v1/diary-entries/{e}", {"body": "<p>改一下</p>", "media_ids": [new_photo]}),
            (a, "POST", "/v1/comments", comment("diary", d)),
            (m, "POST", "/v1/comments", comment("diary", d)),
            (a, "POST", "/v1/comments", comment("diary", d, reply_to=w["diary_comment"])),
            (a, "POST", "/v1/comments", comment("diary_entry", e)),
            (m, "PUT", f"/v1/likes/diary/{d}", None),
            (m, "DELETE", f"/v1/likes/diary/{d}", None),
            (m, "PUT", f"/v1/likes/diary_entry/{e}", None),
            (m, "PUT", f"/v1/likes/comment/{w['diary_comment']}", None),
            (m, "PUT", f"/v1/likes/comment/{w['entry_comment']}", None),
        ],
        f"/v1/questions/{q}": [
            (a, "POST", f"/v1/questions/{q}/answers", {"body": "<p>自问自答</p>"}),
            (a, "PATCH", f"/v1/answers/{own}", {"body": "<p>再补充</p>"}),
            (a, "PUT", f"/v1/questions/{q}/accepted-answer", {"answer_id": ans}),
            (a, "DELETE", f"/v1/questions/{q}/accepted-answer", None),
            (a, "PUT", f"/v1/answers/{ans}/vote", {"value": 1}),
            (m, "PUT", f"/v1/answers/{ans}/vote", {"value": -1}),
            (a, "POST", "/v1/comments", comment("answer", ans)),
            (m, "PUT", f"/v1/likes/question/{q}", None),
            (m, "PUT", f"/v1/likes/answer/{ans}", None),
            (m, "PUT", f"/v1/likes/comment/{w['answer_comment']}", None),
        ],
        f"/v1/reviews/{r}": [
            (a, "POST", "/v1/comments", comment("review", r)),
            (m, "POST", "/v1/comments", comment("review", r, reply_to=w["review_comment"])),
            (m, "PUT", f"/v1/likes/review/{r}", None),
            (m, "PUT", f"/v1/likes/comment/{w['review_comment']}", None),
        ],
    }


def snapshot(client: TestClient, w: dict[str, Any]) -> dict[str, Any]:
    """What the writes could have changed, as the author and a moderator read it."""
    a, m = w["author"].headers, w["moderator"].headers
    d, q, r = w["diary"]["id"], w["question"]["id"], w["review"]["id"]
    out: dict[str, Any] = {}
    for name, path in (("diary", f"/v1/diaries/{d}"), ("question", f"/v1/questions/{q}"),
                       ("review", f"/v1/reviews/{r}"), ("answer", f"/v1/answers/{w['answer']['id']}")):
        body = client.get(path, headers=m).json()
        out[name] = {k: body.get(k) for k in ("entry_count", "comment_count", "like_count", "answer_count",
                                              "accepted_answer_id", "score", "version")}
    entries = client.get(f"/v1/diaries/{d}/entries", headers=a).json().get("items", [])
    # The version moves with any edit, photos included (which photos a reader is shown depends on
    # the diary's status, not on the entry).
    out["entries"] = [(x["id"], x["text"], x["version"]) for x in entries]
    return out


@pytest.mark.parametrize("state", ["hidden", "removed", "deleted"])
def test_every_write_under_a_parent_answers_as_the_parent_reads(client: TestClient, state: str) -> None:
    w = world(client)
    app_state = client.app.state.services  # type: ignore[attr-defined]
    portal = client.portal
    assert portal is not None
    new_photo = upload(client, w["author"])
    routes = writes(w, new_photo)
    parents = {f"/v1/diaries/{w['diary']['id']}": ("diary", w["diary"]["id"]),
               f"/v1/questions/{w['question']['id']}": ("question", w["question"]["id"]),
               f"/v1/reviews/{w['review']['id']}": ("review", w["review"]["id"])}
    before = snapshot(client, w) if state != "deleted" else None
    for path, (kind, object_id) in parents.items():
        if state == "deleted":
            assert client.delete(path, headers=w["author"].headers).status_code == 204
        else:
            portal.call(lambda k=kind, i=object_id: set_status(app_state, k, i, state,  # type: ignore[misc]
                                                              case_id="NCASE2026WRTE", reason="侵犯肖像权"))

    for parent, calls in routes.items():
        public = client.get(parent)
        assert public.status_code in (404, 410, 451), (state, parent, public.text)
        for actor, method, path, body in calls:
            r = client.request(method, path, json=body, headers=actor.headers)
            assert r.status_code == public.status_code, (state, method, path, r.text)
            assert r.headers["content-type"] == "application/problem+json"
    if before is not None:
        assert snapshot(client, w) == before  # nothing was half-written either

    # The new photo was never published: it is still its uploader's to attach elsewhere.
    other = client.post(f"/v1/diaries/{w['diary']['id']}/entries", json={}, headers=w["author"].headers)
    assert other.status_code in (404, 410, 422, 451)
    fresh = _ok(client.post("/v1/diaries", json={"title": "第二本日记", "procedure": "double-eyelid",
                                                 "operated_on": "2026-10-01", "before_media_ids": [new_photo]},
                            headers=w["author"].headers))
    assert [p["id"] for p in fresh["before"]] == [new_photo]


@pytest.mark.parametrize("state", ["hidden", "removed"])
def test_authors_still_delete_their_own_posts_under_a_hidden_or_removed_diary(client: TestClient,
                                                                             state: str) -> None:
    w = world(client)
    app_state = client.app.state.services  # type: ignore[attr-defined]
    portal = client.portal
    assert portal is not None
    portal.call(lambda: set_status(app_state, "diary", w["diary"]["id"], state, case_id="NCASE2026DELE",
                                   reason="广告"))
    r = client.delete(f"/v1/diary-entries/{w['entry']['id']}", headers=w["author"].headers)
    assert r.status_code == 204, r.text
    entries = client.get(f"/v1/diaries/{w['diary']['id']}/entries", headers=w["author"].headers).json()
    assert entries["items"] == []
    # A commenter cannot read the diary any more, so they cannot reach their comment under it either.
    r = client.delete(f"/v1/comments/{w['diary_comment']}", headers=w["helper"].headers)
    assert r.status_code == client.get(f"/v1/diaries/{w['diary']['id']}").status_code
