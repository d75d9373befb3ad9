"""The feed over HTTP: what a member follows, newest first, published only, and never an anonymous author."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.conftest import Member
from tests.content._people import person
from tests.content.factories import diary, entry, reference, review
from tests.content.test_follows import hide


def shown(client: TestClient, member: Member) -> list[tuple[str, str]]:
    """(type, id) of the feed's first page: ids of different types may be equal."""
    return [(i["type"], i["id"]) for i in feed_of(client, member)]


def feed_of(client: TestClient, member: Member, **params: Any) -> list[dict[str, Any]]:
    r = client.get("/v1/me/feed", params=params, headers=member.headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def follow(client: TestClient, member: Member, target_type: str, target_id: str) -> None:
    r = client.put(f"/v1/follows/{target_type}/{target_id}", headers=member.headers)
    assert r.status_code == 204, r.text


def ask(client: TestClient, member: Member, title: str, **fields: Any) -> dict[str, Any]:
    r = client.post("/v1/questions", json={"title": title, "body": "<p>求有经验的姐妹解答</p>", **fields},
                    headers=member.headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def answer(client: TestClient, member: Member, question_id: str, body: str, **fields: Any) -> dict[str, Any]:
    r = client.post(f"/v1/questions/{question_id}/answers", json={"body": body, **fields}, headers=member.headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_every_source_reaches_the_follower_newest_first(db_client: TestClient) -> None:
    ref = reference(db_client)
    poster, diarist, asker, helper, follower, stranger = (person(db_client) for _ in range(6))
    followed_diary = diary(db_client, diarist, ref, title="全切双眼皮第一个月")
    question = ask(db_client, asker, "双眼皮修复找哪位医生好？")
    follow(db_client, follower, "account", poster.id)
    follow(db_client, follower, "diary", followed_diary["id"])
    follow(db_client, follower, "question", question["id"])
    follow(db_client, follower, "clinic", ref["clinic"]["id"])

    e = entry(db_client, diarist, followed_diary["id"], body="<p>术后第七天拆线，肿胀消了一半。</p>")
    named_question = ask(db_client, poster, "热玛吉多久做一次合适？")
    a = answer(db_client, helper, question["id"], "<p>建议看看医生以往的修复案例。</p>")
    clinic_review = review(db_client, helper, ref, body="<p>医院环境很好，护士很耐心。</p>")

    items = feed_of(db_client, follower)
    assert [(i["type"], i["id"]) for i in items] == [
        ("review", clinic_review["id"]), ("answer", a["id"]), ("question", named_question["id"]),
        ("diary_entry", e["id"]), ("diary", followed_diary["id"])]
    by_id = {(i["type"], i["id"]): i for i in items}
    assert by_id[("diary_entry", e["id"])]["because"] == {"type": "diary", "id": followed_diary["id"]}
    assert by_id[("diary_entry", e["id"])]["title"] == "全切双眼皮第一个月"
    assert by_id[("diary_entry", e["id"])]["preview"] == "术后第七天拆线，肿胀消了一半。"
    assert by_id[("answer", a["id"])]["because"] == {"type": "question", "id": question["id"]}
    assert by_id[("diary_entry", e["id"])]["diary_id"] == followed_diary["id"]
    assert by_id[("answer", a["id"])]["title"] == "双眼皮修复找哪位医生好？"
    assert by_id[("answer", a["id"])]["preview"] == "建议看看医生以往的修复案例。"
    assert by_id[("answer", a["id"])]["question_id"] == question["id"]
    assert by_id[("question", named_question["id"])]["title"] == "热玛吉多久做一次合适？"
    assert by_id[("question", named_question["id"])]["preview"] == "求有经验的姐妹解答"
    assert by_id[("review", clinic_review["id"])]["title"] == "5★"
    assert by_id[("review", clinic_review["id"])]["preview"] == "医院环境很好，护士很耐心。"
    assert by_id[("diary", followed_diary["id"])]["title"] == "全切双眼皮第一个月"
    assert by_id[("diary", followed_diary["id"])]["preview"] == "全切双眼皮第一个月"
    assert by_id[("question", named_question["id"])]["because"] == {"type": "account", "id": poster.id}
    assert by_id[("review", clinic_review["id"])]["because"] == {"type": "clinic", "id": ref["clinic"]["id"]}
    # The followed diary itself is on the followed clinic.
    assert by_id[("diary", followed_diary["id"])]["because"] == {"type": "clinic", "id": ref["clinic"]["id"]}

    # Pages follow each other without gaps or repeats.
    first = db_client.get("/v1/me/feed", params={"limit": 2}, headers=follower.headers).json()
    second = db_client.get("/v1/me/feed", params={"limit": 2, "cursor": first["next_cursor"]},
                           headers=follower.headers).json()
    third = db_client.get("/v1/me/feed", params={"limit": 2, "cursor": second["next_cursor"]},
                          headers=follower.headers).json()
    paged = first["items"] + second["items"] + third["items"]
    assert [(i["type"], i["id"]) for i in paged] == [(i["type"], i["id"]) for i in items]
    assert third["next_cursor"] is None
    # Someone who follows nothing has an empty feed; the public has none at all.
    assert feed_of(db_client, stranger) == []
    assert db_client.get("/v1/me/feed").status_code == 401


def test_what_leaves_the_public_leaves_the_feed_at_once(db_client: TestClient) -> None:
    ref = reference(db_client)
    diarist, follower = person(db_client), person(db_client)
    d = diary(db_client, diarist, ref, title="隆鼻三个月的真实感受")
    follow(db_client, follower, "diary", d["id"])
    follow(db_client, follower, "procedure", ref["procedure"])
    e = entry(db_client, diarist, d["id"], body="<p>鼻头还有一点硬，医生说正常。</p>")
    q = ask(db_client, diarist, "隆鼻后鼻头发硬正常吗？", procedure=ref["procedure"])
    assert shown(db_client, follower) == [("question", q["id"]), ("diary_entry", e["id"]), ("diary", d["id"])]

    hide(db_client, "diary_entry", e["id"])
    assert shown(db_client, follower) == [("question", q["id"]), ("diary", d["id"])]
    hide(db_client, "diary_entry", e["id"], "published")
    # A hidden diary takes its entries with it, though the follow stays.
    hide(db_client, "diary", d["id"])
    assert shown(db_client, follower) == [("question", q["id"])]
    hide(db_client, "question", q["id"], "removed")
    assert feed_of(db_client, follower) == []
    hide(db_client, "diary", d["id"], "published")
    assert shown(db_client, follower) == [("diary_entry", e["id"]), ("diary", d["id"])]
    assert db_client.delete(f"/v1/diaries/{d['id']}", headers=diarist.headers).status_code == 204
    assert feed_of(db_client, follower) == []
    # Unfollowing changes the next read.
    q2 = ask(db_client, diarist, "做完隆鼻多久可以戴眼镜？", procedure=ref["procedure"])
    assert shown(db_client, follower) == [("question", q2["id"])]
    assert db_client.delete(f"/v1/follows/procedure/{ref['procedure']}", headers=follower.headers).status_code == 204
    assert feed_of(db_client, follower) == []


def test_an_anonymous_post_never_reaches_a_follower_of_its_author(db_client: TestClient) -> None:
    ref = reference(db_client)
    author, asker, follower, fan_of_procedure = (person(db_client) for _ in range(4))
    follow(db_client, follower, "account", author.id)
    follow(db_client, fan_of_procedure, "procedure", ref["procedure"])
    q = ask(db_client, asker, "割双眼皮会不会很疼？")
    follow(db_client, follower, "question", q["id"])

    secret_diary = diary(db_client, author, ref, anonymous=True, title="不想让人知道的双眼皮日记")
    secret_review = review(db_client, author, ref, anonymous=True, body="<p>匿名说一句，效果一般。</p>")
    secret_question = ask(db_client, author, "匿名问：修复要多少钱？", anonymous=True)
    secret_answer = answer(db_client, author, q["id"], "<p>打了麻药基本不疼。</p>", anonymous=True)
    named = ask(db_client, author, "公开问：术后多久能运动？")

    r = db_client.get("/v1/me/feed", headers=follower.headers)
    shown = [(i["type"], i["id"]) for i in r.json()["items"]]
    assert ("diary", secret_diary["id"]) not in shown and ("review", secret_review["id"]) not in shown
    assert ("question", secret_question["id"]) not in shown
    assert ("question", named["id"]) in shown
    # The anonymous answer reaches the follower through the followed question, naming only the question.
    [item] = [i for i in r.json()["items"] if (i["type"], i["id"]) == ("answer", secret_answer["id"])]
    assert item["because"] == {"type": "question", "id": q["id"]}
    assert [(i["type"], i["id"]) for i in r.json()["items"] if i["because"]["type"] == "account"] == [
        ("question", named["id"])]

    # Someone following the procedure gets the anonymous diary, because of the procedure, never the author.
    other = db_client.get("/v1/me/feed", headers=fan_of_procedure.headers)
    [seen] = [i for i in other.json()["items"] if (i["type"], i["id"]) == ("diary", secret_diary["id"])]
    assert seen["because"] == {"type": "procedure", "id": ref["procedure"]}
    assert all(i["because"]["type"] != "account" for i in other.json()["items"])
    assert author.handle not in other.text


def test_forged_cursors_are_refused(client: TestClient) -> None:
    member = person(client)
    for cursor in ("abc", "WzEsMiwzXQ", "WyJub3QgYSB0aW1lIiwgMSwgMV0"):
        r = client.get("/v1/me/feed", params={"cursor": cursor}, headers=member.headers)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor", (cursor, r.text)


def test_an_answer_leaves_the_feed_with_its_question(db_client: TestClient) -> None:
    asker, helper, follower = person(db_client), person(db_client), person(db_client)
    follow(db_client, follower, "account", helper.id)
    q = ask(db_client, asker, "玻尿酸溶解酶打了会不会过敏？")
    a = answer(db_client, helper, q["id"], "<p>先做皮试，医院一般都会安排。</p>")
    assert shown(db_client, follower) == [("answer", a["id"])]
    hide(db_client, "question", q["id"])
    assert shown(db_client, follower) == []
    hide(db_client, "question", q["id"], "published")
    assert shown(db_client, follower) == [("answer", a["id"])]
