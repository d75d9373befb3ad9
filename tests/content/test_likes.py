"""Likes over HTTP: idempotent per member, counted on the object, only on what one may see."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from starlette.testclient import TestClient

from tests.conftest import Member
from tests.content._people import person


def a_question(client: TestClient, member: Member, anonymous: bool = False) -> str:
    r = client.post("/v1/questions", json={"title": "水光针一个疗程要打几次？", "body": "第一次打，想了解一下",
                                           "anonymous": anonymous}, headers=member.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_like_twice_counts_once_and_unlike_is_idempotent(db_client: TestClient) -> None:
    asker, fan = person(db_client), person(db_client)
    question_id = a_question(db_client, asker)
    url = f"/v1/likes/question/{question_id}"
    r = db_client.put(url, headers=fan.headers)
    assert r.status_code == 200 and r.json() == {"target_type": "question", "target_id": question_id,
                                                 "liked": True, "like_count": 1}
    assert db_client.put(url, headers=fan.headers).json()["like_count"] == 1
    shown = db_client.get(f"/v1/questions/{question_id}", headers=fan.headers).json()
    assert shown["like_count"] == 1 and shown["liked"] is True
    assert db_client.get(f"/v1/questions/{question_id}").json()["liked"] is False

    assert db_client.delete(url, headers=fan.headers).json() == {"target_type": "question", "target_id": question_id,
                                                                 "liked": False, "like_count": 0}
    assert db_client.delete(url, headers=fan.headers).json()["like_count"] == 0
    assert db_client.get(f"/v1/questions/{question_id}").json()["like_count"] == 0


def test_likes_on_answers_and_comments(client: TestClient) -> None:
    asker, helper, fan = person(client), person(client), person(client)
    question_id = a_question(client, asker)
    answer_id = client.post(f"/v1/questions/{question_id}/answers", json={"body": "一般三次一个疗程。"},
                            headers=helper.headers).json()["id"]
    comment_id = client.post("/v1/comments", json={"target_type": "answer", "target_id": answer_id,
                                                   "body": "谢谢分享"}, headers=asker.headers).json()["id"]
    assert client.put(f"/v1/likes/answer/{answer_id}", headers=fan.headers).json()["like_count"] == 1
    assert client.put(f"/v1/likes/comment/{comment_id}", headers=fan.headers).json()["like_count"] == 1
    assert client.get(f"/v1/answers/{answer_id}", headers=fan.headers).json()["liked"] is True
    items = client.get("/v1/comments", params={"target_type": "answer", "target_id": answer_id},
                       headers=fan.headers).json()["items"]
    assert items[0]["like_count"] == 1 and items[0]["liked"] is True


def test_many_members_liking_at_once_are_all_counted(client: TestClient) -> None:
    asker = person(client)
    fans = [person(client) for _ in range(8)]
    question_id = a_question(client, asker)

    def like(member: Member) -> int:
        return client.put(f"/v1/likes/question/{question_id}", headers=member.headers).status_code

    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(like, fans + fans))
    assert codes == [200] * 16
    assert client.get(f"/v1/questions/{question_id}").json()["like_count"] == 8


def test_what_cannot_be_liked(client: TestClient) -> None:
    asker, fan = person(client), person(client)
    question_id = a_question(client, asker)
    assert client.put(f"/v1/likes/question/{question_id}").status_code == 401
    assert client.put("/v1/likes/question/99999", headers=fan.headers).status_code == 404
    assert client.put(f"/v1/likes/wiki/{question_id}", headers=fan.headers).status_code == 404
    assert client.put("/v1/likes/question/abc", headers=fan.headers).status_code == 404
    client.delete(f"/v1/questions/{question_id}", headers=asker.headers)
    r = client.put(f"/v1/likes/question/{question_id}", headers=fan.headers)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


def test_liking_an_anonymous_post_reveals_nobody(client: TestClient) -> None:
    asker, fan = person(client), person(client)
    question_id = a_question(client, asker, anonymous=True)
    r = client.put(f"/v1/likes/question/{question_id}", headers=fan.headers)
    assert r.status_code == 200 and asker.handle not in r.text and "author" not in r.text


def test_a_deleted_account_takes_its_likes_and_votes_along(client: TestClient) -> None:
    from tests.conftest import PASSWORD

    asker, helper, fan = person(client), person(client), person(client)
    question_id = a_question(client, asker)
    answer_id = client.post(f"/v1/questions/{question_id}/answers", json={"body": "三次一个疗程，间隔一个月。"},
                            headers=helper.headers).json()["id"]
    client.put(f"/v1/likes/question/{question_id}", headers=fan.headers)
    client.put(f"/v1/answers/{answer_id}/vote", json={"value": 1}, headers=fan.headers)
    exported = client.get("/v1/me/export", headers=fan.headers)
    assert exported.status_code == 200, exported.text
    assert question_id in exported.text and "answer_votes" in exported.text

    r = client.request("DELETE", "/v1/me", json={"password": PASSWORD, "content": "anonymize"}, headers=fan.headers)
    assert r.status_code == 204, r.text
    assert client.get(f"/v1/questions/{question_id}").json()["like_count"] == 0
    assert client.get(f"/v1/answers/{answer_id}").json()["score"] == 0


def test_diaries_entries_and_reviews_say_whether_the_caller_liked_them(client: TestClient) -> None:
    from tests.content.factories import diary, entry, reference, review

    ref = reference(client)
    author, fan, other = person(client), person(client), person(client)
    d = diary(client, author, ref, title="热玛吉半年记录")
    e = entry(client, author, d["id"], body="<p>第七天，脸上还有点红</p>")
    rv = review(client, author, ref, body="<p>医生很耐心，效果自然</p>")
    for kind, obj in (("diary", d), ("diary_entry", e), ("review", rv)):
        assert obj["liked"] is False
        assert client.put(f"/v1/likes/{kind}/{obj['id']}", headers=fan.headers).status_code == 200

    reads = {"diary": [f"/v1/diaries/{d['id']}", "/v1/diaries", "/v1/diaries?sort=popular"],
             "diary_entry": [f"/v1/diaries/{d['id']}/entries"],
             "review": [f"/v1/reviews/{rv['id']}", "/v1/reviews", "/v1/reviews?sort=helpful"]}
    for kind, paths in reads.items():
        for path in paths:
            for who, headers, expected in (("fan", fan.headers, True), ("other", other.headers, False),
                                           ("public", {}, False)):
                body = client.get(path, headers=headers).json()
                [shown] = body["items"] if "items" in body else [body]
                assert shown["liked"] is expected, (kind, path, who)
                assert shown["like_count"] == 1, (kind, path, who)

    client.delete(f"/v1/likes/review/{rv['id']}", headers=fan.headers)
    assert client.get(f"/v1/reviews/{rv['id']}", headers=fan.headers).json()["liked"] is False
