"""Favourites (收藏) over HTTP: a member's own list, newest first, and nothing of what left the public."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import Member
from tests.content._people import person
from tests.content.factories import diary, reference, review
from tests.content.test_anonymity import assert_hidden
from tests.content.test_follows import hide


def favourites_of(client: TestClient, member: Member, **params: str) -> list[dict[str, object]]:
    r = client.get("/v1/me/favorites", params=params, headers=member.headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def a_question(client: TestClient, member: Member) -> dict[str, str]:
    r = client.post("/v1/questions", json={"title": "玻尿酸填充泪沟能维持多久？",
                                           "body": "<p>听说半年到一年，想听听大家的经历</p>"}, headers=member.headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def a_page(client: TestClient) -> dict[str, str]:
    editor = person(client, role="editor")
    r = client.put("/v1/wiki/bo-niao-suan", json={
        "title": "玻尿酸", "aliases": ["透明质酸"], "summary": "一种常用的注射填充剂，可被人体吸收。",
        "body": "<p>玻尿酸填充效果一般维持六到十二个月。</p>", "facts": {}, "comment": "新建词条"},
        headers=editor.headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_keep_every_kind_newest_first_and_only_for_oneself(db_client: TestClient) -> None:
    ref = reference(db_client)
    writer, reader, stranger = person(db_client), person(db_client), person(db_client)
    d = diary(db_client, writer, ref, title="下颌角截骨恢复记录")
    rv = review(db_client, writer, ref)
    q = a_question(db_client, writer)
    answer = db_client.post(f"/v1/questions/{q['id']}/answers", json={"body": "<p>我打的是进口的，维持了八个月。</p>"},
                            headers=stranger.headers).json()
    page = a_page(db_client)
    kept = [("diary", d["id"]), ("review", rv["id"]), ("question", q["id"]), ("answer", answer["id"]),
            ("wiki", page["slug"])]
    for target_type, target_id in kept:
        assert db_client.put(f"/v1/favorites/{target_type}/{target_id}", headers=reader.headers).status_code == 204
        assert db_client.put(f"/v1/favorites/{target_type}/{target_id}", headers=reader.headers).status_code == 204

    items = favourites_of(db_client, reader)
    assert [(i["target_type"], i["target_id"]) for i in items] == [
        ("wiki", page["id"]), ("answer", answer["id"]), ("question", q["id"]), ("review", rv["id"]), ("diary", d["id"])]
    assert all(i["available"] is True for i in items)
    by_type = {i["target_type"]: i for i in items}
    assert by_type["diary"]["title"] == "下颌角截骨恢复记录"
    assert by_type["answer"]["title"] == "玻尿酸填充泪沟能维持多久？"
    assert by_type["answer"]["preview"] == "我打的是进口的，维持了八个月。"
    assert by_type["wiki"]["preview"] == "一种常用的注射填充剂，可被人体吸收。"
    assert [i["target_type"] for i in favourites_of(db_client, reader, target_type="review")] == ["review"]
    first = db_client.get("/v1/me/favorites", params={"limit": 3}, headers=reader.headers).json()
    rest = db_client.get("/v1/me/favorites", params={"limit": 3, "cursor": first["next_cursor"]},
                         headers=reader.headers).json()
    assert [i["target_id"] for i in first["items"] + rest["items"]] == [i["target_id"] for i in items]
    assert rest["next_cursor"] is None

    # The reader sees the marks; others and the public do not.
    assert db_client.get(f"/v1/diaries/{d['id']}", headers=reader.headers).json()["favorited"] is True
    assert db_client.get(f"/v1/diaries/{d['id']}", headers=stranger.headers).json()["favorited"] is False
    assert db_client.get(f"/v1/reviews/{rv['id']}", headers=reader.headers).json()["favorited"] is True
    assert db_client.get(f"/v1/questions/{q['id']}", headers=reader.headers).json()["favorited"] is True
    assert db_client.get(f"/v1/answers/{answer['id']}", headers=reader.headers).json()["favorited"] is True
    assert db_client.get(f"/v1/questions/{q['id']}").json()["favorited"] is False
    assert favourites_of(db_client, stranger) == []

    assert db_client.delete(f"/v1/favorites/diary/{d['id']}", headers=reader.headers).status_code == 204
    assert db_client.delete(f"/v1/favorites/diary/{d['id']}", headers=reader.headers).status_code == 204
    assert db_client.delete(f"/v1/favorites/wiki/{page['slug']}", headers=reader.headers).status_code == 204
    assert [i["target_type"] for i in favourites_of(db_client, reader)] == ["answer", "question", "review"]


def test_a_favourite_that_left_the_public_is_unavailable_and_shows_no_text(db_client: TestClient) -> None:
    ref = reference(db_client)
    writer, reader = person(db_client), person(db_client)
    hidden = diary(db_client, writer, ref, title="这篇日记会被隐藏")
    removed = a_question(db_client, writer)
    deleted = review(db_client, writer, ref, body="<p>作者自己删掉的评价内容</p>")
    for target_type, target_id in (("diary", hidden["id"]), ("question", removed["id"]), ("review", deleted["id"])):
        assert db_client.put(f"/v1/favorites/{target_type}/{target_id}", headers=reader.headers).status_code == 204

    hide(db_client, "diary", hidden["id"])
    hide(db_client, "question", removed["id"], "removed")
    assert db_client.delete(f"/v1/reviews/{deleted['id']}", headers=writer.headers).status_code == 204

    r = db_client.get("/v1/me/favorites", headers=reader.headers)
    assert [set(i) for i in r.json()["items"]] == [{"target_type", "target_id", "created_at", "available"}] * 3
    assert all(i["available"] is False for i in r.json()["items"])
    for text in ("这篇日记会被隐藏", "玻尿酸填充泪沟", "作者自己删掉"):
        assert text not in r.text
    # Restored, it is there again with its text.
    hide(db_client, "diary", hidden["id"], "published")
    again = {i["target_id"]: i for i in favourites_of(db_client, reader)}
    assert again[hidden["id"]]["available"] is True and again[hidden["id"]]["title"] == "这篇日记会被隐藏"


def test_what_cannot_be_kept(client: TestClient) -> None:
    ref = reference(client)
    writer, reader = person(client), person(client)
    d = diary(client, writer, ref)
    assert client.put(f"/v1/favorites/diary/{d['id']}").status_code == 401
    assert client.get("/v1/me/favorites").status_code == 401
    for path in ("/v1/favorites/comment/1", "/v1/favorites/diary/99999", "/v1/favorites/diary/abc",
                 "/v1/favorites/wiki/no-such-page", "/v1/favorites/account/1", "/v1/favorites/wiki/" + "热玛吉" * 40):
        r = client.put(path, headers=reader.headers)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json", (path, r.text)
    # Letting go of what was never kept changes nothing, whatever the key's length.
    assert client.delete("/v1/favorites/wiki/" + "热玛吉" * 40, headers=reader.headers).status_code == 204
    assert client.get("/v1/me/favorites", params={"target_type": "procedure"},
                      headers=reader.headers).status_code == 422
    hide(client, "diary", d["id"])
    assert client.put(f"/v1/favorites/diary/{d['id']}", headers=reader.headers).status_code == 404
    hide(client, "diary", d["id"], "removed")
    assert client.put(f"/v1/favorites/diary/{d['id']}", headers=reader.headers).status_code == 410


def test_keeping_an_anonymous_post_reveals_nobody(client: TestClient) -> None:
    ref = reference(client)
    writer, reader = person(client), person(client)
    d = diary(client, writer, ref, anonymous=True, title="匿名的隆鼻日记")
    assert client.put(f"/v1/favorites/diary/{d['id']}", headers=reader.headers).status_code == 204
    r = client.get("/v1/me/favorites", headers=reader.headers)
    assert r.json()["items"][0]["title"] == "匿名的隆鼻日记"
    assert_hidden(r, writer, "favourites")
