"""Comments and replies over HTTP: who sees whom, threads, notifications, visibility of targets."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.conftest import PASSWORD, Member
from tests.content._people import person
from tests.corpus import own_reviews

LINES = own_reviews("neg")[20:50]


def an_answer(client: TestClient, asker: Member, helper: Member, anonymous: bool = False) -> str:
    r = client.post("/v1/questions", json={"title": "玻尿酸打完多久能洗脸？", "body": "今天刚打完苹果肌"},
                    headers=asker.headers)
    assert r.status_code == 201, r.text
    r = client.post(f"/v1/questions/{r.json()['id']}/answers",
                    json={"body": "六小时后可以用清水轻轻洗。", "anonymous": anonymous}, headers=helper.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def comment(client: TestClient, member: Member, target_id: str, body: str, *, target_type: str = "answer",
            reply_to: str | None = None, anonymous: bool = False) -> dict[str, Any]:
    payload: dict[str, Any] = {"target_type": target_type, "target_id": target_id, "body": body,
                               "anonymous": anonymous}
    if reply_to is not None:
        payload["reply_to"] = reply_to
    r = client.post("/v1/comments", json=payload, headers=member.headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def listing(client: TestClient, target_id: str, headers: dict[str, str] | None = None,
            target_type: str = "answer") -> list[dict[str, Any]]:
    r = client.get("/v1/comments", params={"target_type": target_type, "target_id": target_id}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def test_comment_and_reply_in_thread_order(db_client: TestClient) -> None:
    asker, helper, reader = person(db_client), person(db_client), person(db_client)
    answer_id = an_answer(db_client, asker, helper)
    first = comment(db_client, reader, answer_id, "<p>请问<em>清水</em>是凉水还是温水？</p>")
    second = comment(db_client, asker, answer_id, LINES[0])
    reply = comment(db_client, helper, answer_id, "温水就可以。", reply_to=first["id"])
    reply_to_reply = comment(db_client, reader, answer_id, "好的，谢谢！", reply_to=reply["id"])

    assert first["body"] == "<p>请问<em>清水</em>是凉水还是温水？</p>" and first["text"] == "请问清水是凉水还是温水？"
    assert reply["reply_to"] == first["id"] and reply["thread_id"] == first["id"]
    # A reply to a reply joins the top-level comment's thread; reply_to keeps the id replied to.
    assert reply_to_reply["thread_id"] == first["id"] and reply_to_reply["reply_to"] == reply["id"]

    items = listing(db_client, answer_id)
    assert [c["id"] for c in items] == [first["id"], reply["id"], reply_to_reply["id"], second["id"]]
    assert items[0]["reply_count"] == 2
    assert db_client.get(f"/v1/answers/{answer_id}").json()["comment_count"] == 4

    page1 = db_client.get("/v1/comments", params={"target_type": "answer", "target_id": answer_id, "limit": 3})
    cursor = page1.json()["next_cursor"]
    page2 = db_client.get("/v1/comments", params={"target_type": "answer", "target_id": answer_id, "limit": 3,
                                                  "cursor": cursor})
    assert [c["id"] for c in page1.json()["items"] + page2.json()["items"]] == [c["id"] for c in items]
    assert page2.json()["next_cursor"] is None


def test_anonymous_commenter_is_hidden_and_not_linkable(client: TestClient) -> None:
    asker, helper, stranger = person(client), person(client), person(client)
    # The answerer answers anonymously, then replies anonymously in their own answer's comments.
    answer_id = an_answer(client, asker, helper, anonymous=True)
    question_comment = comment(client, stranger, answer_id, "请问你是在哪家医院打的？")
    own_reply = comment(client, helper, answer_id, "不方便说，私信也不说哦。", reply_to=question_comment["id"],
                        anonymous=True)
    for viewer in (None, stranger.headers, asker.headers):
        items = listing(client, answer_id, viewer)
        mine = next(c for c in items if c["id"] == own_reply["id"])
        assert mine["author"] is None and mine["is_mine"] is False and mine["anonymous"] is True
        # Nothing marks the reply as coming from the answer's author.
        assert not any(key in mine for key in ("is_op", "is_author", "by_author", "author_id"))
        assert helper.handle not in str(items)
    mine = next(c for c in listing(client, answer_id, helper.headers) if c["id"] == own_reply["id"])
    assert mine["is_mine"] is True and mine["author"]["handle"] == helper.handle


def test_comment_notifies_target_author_and_replied_commenter_without_naming_anonymous(client: TestClient) -> None:
    asker, helper, reader, shy = person(client), person(client), person(client), person(client)
    answer_id = an_answer(client, asker, helper)
    first = comment(client, reader, answer_id, "同问，我也想知道。")
    comment(client, shy, answer_id, "我打完当天就洗了，没事。", reply_to=first["id"], anonymous=True)

    to_helper = client.get("/v1/me/notifications", headers=helper.headers).json()["items"]
    assert [n["kind"] for n in to_helper] == ["comment", "comment"]
    assert to_helper[1]["payload"]["commenter"]["handle"] == reader.handle
    assert to_helper[0]["payload"]["commenter"] is None
    assert shy.handle not in str(to_helper)
    to_reader = client.get("/v1/me/notifications", headers=reader.headers).json()["items"]
    assert len(to_reader) == 1 and to_reader[0]["payload"]["reply_to"] == first["id"]
    assert to_reader[0]["payload"]["commenter"] is None and shy.handle not in str(to_reader)
    # Commenting on one's own answer notifies nobody.
    comment(client, helper, answer_id, "补充一下：别用洗面奶。")
    assert len(client.get("/v1/me/notifications", headers=helper.headers).json()["items"]) == 2


def test_reply_must_be_on_the_same_target(client: TestClient) -> None:
    asker, helper = person(client), person(client)
    one, other = an_answer(client, asker, helper), an_answer(client, asker, helper)
    elsewhere = comment(client, asker, other, "这条在另一个回答下面。")
    r = client.post("/v1/comments", json={"target_type": "answer", "target_id": one, "body": "回复",
                                          "reply_to": elsewhere["id"]}, headers=asker.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reply_to"


def test_comments_on_missing_or_deleted_targets_are_404(client: TestClient) -> None:
    asker, helper = person(client), person(client)
    answer_id = an_answer(client, asker, helper)
    assert client.post("/v1/comments", json={"target_type": "answer", "target_id": "98765", "body": "在吗"},
                       headers=asker.headers).status_code == 404
    assert client.get("/v1/comments", params={"target_type": "answer", "target_id": "98765"}).status_code == 404
    client.delete(f"/v1/answers/{answer_id}", headers=helper.headers)
    assert client.post("/v1/comments", json={"target_type": "answer", "target_id": answer_id, "body": "在吗"},
                       headers=asker.headers).status_code == 404
    assert client.get("/v1/comments", params={"target_type": "answer", "target_id": answer_id}).status_code == 404
    r = client.post("/v1/comments", json={"target_type": "wiki", "target_id": "1", "body": "在吗"},
                    headers=asker.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "target_type"


def test_delete_comment(db_client: TestClient) -> None:
    asker, helper, reader = person(db_client), person(db_client), person(db_client)
    answer_id = an_answer(db_client, asker, helper)
    top = comment(db_client, reader, answer_id, "第一条评论")
    reply = comment(db_client, helper, answer_id, "回复第一条", reply_to=top["id"])
    assert db_client.delete(f"/v1/comments/{top['id']}", headers=helper.headers).status_code == 403
    assert db_client.delete(f"/v1/comments/{top['id']}").status_code == 401
    assert db_client.delete(f"/v1/comments/{top['id']}", headers=reader.headers).status_code == 204
    assert db_client.get(f"/v1/comments/{top['id']}").status_code == 404
    # The reply stays, in its thread; the answer's count drops by one.
    assert [c["id"] for c in listing(db_client, answer_id)] == [reply["id"]]
    assert db_client.get(f"/v1/answers/{answer_id}").json()["comment_count"] == 1
    assert db_client.delete(f"/v1/comments/{top['id']}", headers=reader.headers).status_code == 404


def test_validation(client: TestClient) -> None:
    asker, helper = person(client), person(client)
    answer_id = an_answer(client, asker, helper)
    r = client.post("/v1/comments", json={"target_type": "answer", "target_id": answer_id, "body": ""},
                    headers=asker.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"
    r = client.post("/v1/comments", json={"target_type": "answer", "target_id": answer_id,
                                          "body": "<iframe src=x></iframe>"}, headers=asker.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"
    assert client.get("/v1/comments", params={"target_type": "answer"}).status_code == 422
    assert client.post("/v1/comments", json={"target_type": "answer", "target_id": answer_id,
                                             "body": "匿名?"}).status_code == 401


def test_a_notification_shows_its_post_as_it_is_now_after_erasure_or_deletion(db_client: TestClient) -> None:
    client = db_client
    asker, helper, reader, chatty = person(client), person(client), person(client), person(client)
    answer_id = an_answer(client, asker, helper)
    said = comment(client, reader, answer_id, "我也是这家医院做的，恢复挺好。")
    gone = comment(client, chatty, answer_id, "我表姐在那边上班，可以找她打折。")

    def notes(member: Member) -> list[dict[str, Any]]:
        r = client.get("/v1/me/notifications", headers=member.headers)
        assert r.status_code == 200, r.text
        return r.json()["items"]  # type: ignore[no-any-return]

    to_helper = {n["payload"]["comment_id"]: n["payload"] for n in notes(helper)}
    assert to_helper[said["id"]]["commenter"]["handle"] == reader.handle
    assert to_helper[said["id"]]["available"] is True and to_helper[gone["id"]]["excerpt"].startswith("我表姐")
    [answered] = notes(asker)
    assert answered["payload"]["answerer"]["handle"] == helper.handle

    # The reader leaves and keeps their words without their name: the comment's notification names
    # nobody any more, and its excerpt stays, as the comment itself does.
    r = client.request("DELETE", "/v1/me", json={"password": PASSWORD, "content": "anonymize"},
                       headers=reader.headers)
    assert r.status_code == 204, r.text
    # The other commenter deletes their comment: its notification keeps neither excerpt nor author.
    assert client.delete(f"/v1/comments/{gone['id']}", headers=chatty.headers).status_code == 204
    to_helper = {n["payload"]["comment_id"]: n["payload"] for n in notes(helper)}
    assert to_helper[said["id"]]["commenter"] is None and to_helper[said["id"]]["available"] is True
    assert to_helper[said["id"]]["excerpt"] == "我也是这家医院做的，恢复挺好。"
    assert to_helper[gone["id"]] | {"target_id": None} == {
        "comment_id": gone["id"], "target_type": "answer", "target_id": None, "excerpt": None,
        "commenter": None, "available": False}
    assert reader.handle not in str(notes(helper)) and chatty.handle not in str(notes(helper))
    assert "表姐" not in str(notes(helper))

    # The helper leaves and takes their answers with them: the asker's notification keeps no trace.
    r = client.request("DELETE", "/v1/me", json={"password": PASSWORD, "content": "delete"}, headers=helper.headers)
    assert r.status_code == 204, r.text
    [answered] = notes(asker)
    assert answered["payload"]["available"] is False
    assert answered["payload"]["excerpt"] is None and answered["payload"]["answerer"] is None
    assert helper.handle not in str(notes(asker)) and "清水" not in str(notes(asker))


def test_comments_on_diaries_entries_and_reviews(client: TestClient) -> None:
    from tests.content.factories import diary, entry, reference, review

    ref = reference(client)
    author, reader = person(client), person(client)
    book = diary(client, author, ref, anonymous=True)
    day = entry(client, author, book["id"])
    rated = review(client, author, ref)
    for target_type, target_id in (("diary", book["id"]), ("diary_entry", day["id"]), ("review", rated["id"])):
        made = comment(client, reader, target_id, "恢复得真好，求医生信息！", target_type=target_type)
        assert made["target_type"] == target_type
        assert [c["id"] for c in listing(client, target_id, target_type=target_type)] == [made["id"]]
        liked = client.put(f"/v1/likes/{target_type}/{target_id}", headers=reader.headers)
        assert liked.status_code == 200 and liked.json()["like_count"] == 1
    told = client.get("/v1/me/notifications", headers=author.headers).json()["items"]
    assert [n["kind"] for n in told] == ["comment"] * 3
    assert client.get(f"/v1/diaries/{book['id']}").json()["author"] is None

    # A post its author deleted takes no comments and lists none.
    assert client.delete(f"/v1/reviews/{rated['id']}", headers=author.headers).status_code == 204
    r = client.post("/v1/comments", json={"target_type": "review", "target_id": rated["id"], "body": "还在吗"},
                    headers=reader.headers)
    assert r.status_code == 404
    assert client.get("/v1/comments", params={"target_type": "review", "target_id": rated["id"]}).status_code == 404


def test_a_hidden_answer_takes_no_comments_even_from_its_author(client: TestClient) -> None:
    asker, helper = person(client), person(client)
    answer_id = an_answer(client, asker, helper)
    from content.services import set_status

    portal = client.portal
    assert portal is not None
    portal.call(lambda: set_status(client.app.state.services, "answer", answer_id, "hidden"))  # type: ignore[attr-defined]
    mine = client.post("/v1/comments", json={"target_type": "answer", "target_id": answer_id, "body": "补充"},
                       headers=helper.headers)
    assert mine.status_code == 404  # as the public is answered: nothing can be added under it
    theirs = client.post("/v1/comments", json={"target_type": "answer", "target_id": answer_id, "body": "在吗"},
                         headers=asker.headers)
    assert theirs.status_code == 404


def test_comments_go_with_what_they_are_on(client: TestClient) -> None:
    asker, helper, reader = person(client), person(client), person(client)
    answer_id = an_answer(client, asker, helper)
    said = comment(client, reader, answer_id, "说得很清楚，谢谢！")
    assert client.get(f"/v1/comments/{said['id']}").status_code == 200
    question_id = client.get(f"/v1/answers/{answer_id}").json()["question_id"]
    assert client.delete(f"/v1/questions/{question_id}", headers=asker.headers).status_code == 204
    # The question is gone, so are its answer and the comment on it, for everyone.
    assert client.get(f"/v1/comments/{said['id']}").status_code == 404
    assert client.get(f"/v1/comments/{said['id']}", headers=reader.headers).status_code == 404
    assert client.put(f"/v1/likes/comment/{said['id']}", headers=asker.headers).status_code == 404
    assert client.get("/v1/comments", params={"target_type": "answer", "target_id": answer_id}).status_code == 404
