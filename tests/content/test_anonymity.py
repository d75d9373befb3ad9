"""The anonymity walk: anonymous content of every kind, and every read endpoint, as the public and as
another member. The author's id and handle must appear in no response body or header."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from starlette.testclient import TestClient

from content.visibility import KINDS
from tests.conftest import Member, sign_up, upload
from tests.content.factories import NEGATIVE, POSITIVE, diary, drain, entry, reference, review

# Keys under which an account can be named in any response of ours.
PERSON_KEYS = {"author", "author_id", "account_id", "actor", "actor_id", "user_id", "owner_id", "asker_id",
               "answerer_id", "commenter_id", "commenter", "answerer", "by", "from"}


def people(value: Any) -> Iterator[Any]:
    """Every value found under a person-naming key, anywhere in a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in PERSON_KEYS:
                yield item
            yield from people(item)
    elif isinstance(value, list):
        for item in value:
            yield from people(item)


def assert_hidden(r: Any, author: Member, where: str) -> None:
    assert r.status_code < 500, (where, r.text)
    assert author.handle not in r.text, where
    for name, value in r.headers.items():
        assert author.handle not in value and f"{author.id}" != value, (where, name)
    if r.headers.get("content-type", "").startswith("application/json"):
        for found in people(r.json()):
            named = found.get("id") if isinstance(found, dict) else found
            assert str(named) != author.id, (where, found)


def make_everything(client: TestClient, author: Member, victim: Member) -> dict[str, Any]:
    """Anonymous content of every kind by ``author``, some of it in reply to ``victim``."""
    ref = reference(client)
    made: dict[str, Any] = {"ref": ref}
    d = diary(client, author, ref, anonymous=True, title="匿名的双眼皮日记",
              before_media_ids=[upload(client, author)])
    made["diary"] = d
    made["diary_entry"] = entry(client, author, d["id"], body=f"<p>双眼皮第七天 {POSITIVE[5]}</p>",
                                media_ids=[upload(client, author)])
    # A link between two anonymous posts of the author is allowed: it names nobody.
    made["review"] = review(client, author, ref, anonymous=True, body=f"<p>双眼皮效果 {NEGATIVE[3]}</p>",
                            diary_id=d["id"])
    question = client.post("/v1/questions", json={"title": "双眼皮多久能消肿？", "body": "<p>想知道恢复期</p>",
                                                  "anonymous": False}, headers=victim.headers)
    assert question.status_code == 201, question.text
    made["victim_question"] = question.json()
    own_q = client.post("/v1/questions", json={"title": "匿名问：双眼皮疤痕明显吗", "body": "<p>担心留疤</p>",
                                               "anonymous": True}, headers=author.headers)
    assert own_q.status_code == 201, own_q.text
    made["question"] = own_q.json()
    own_answer = client.post(f"/v1/questions/{own_q.json()['id']}/answers",
                             json={"body": "<p>自己补充：拆线后疤痕淡了很多</p>", "anonymous": True},
                             headers=author.headers)
    assert own_answer.status_code == 201, own_answer.text
    ans = client.post(f"/v1/questions/{question.json()['id']}/answers",
                      json={"body": "<p>双眼皮一般两周消肿</p>", "anonymous": True}, headers=author.headers)
    assert ans.status_code == 201, ans.text
    made["answer"] = ans.json()
    victim_diary = diary(client, victim, ref, title="我的双眼皮日记")
    made["victim_diary"] = victim_diary
    victim_comment = client.post("/v1/comments", json={"target_type": "diary", "target_id": victim_diary["id"],
                                                       "body": "欢迎大家交流", "anonymous": False},
                                 headers=victim.headers)
    assert victim_comment.status_code == 201, victim_comment.text
    comment = client.post("/v1/comments", json={"target_type": "diary", "target_id": victim_diary["id"],
                                                "body": "恢复得真好", "anonymous": True,
                                                "reply_to": victim_comment.json()["id"]}, headers=author.headers)
    assert comment.status_code == 201, comment.text
    made["comment"] = comment.json()
    reply = client.post("/v1/comments", json={"target_type": "diary", "target_id": victim_diary["id"],
                                              "body": "谢谢你", "anonymous": False,
                                              "reply_to": comment.json()["id"]}, headers=victim.headers)
    assert reply.status_code == 201, reply.text
    # The author answers the victim's reply anonymously again: a notification to the victim.
    again = client.post("/v1/comments", json={"target_type": "diary", "target_id": victim_diary["id"],
                                              "body": "不客气，一起加油", "anonymous": True,
                                              "reply_to": reply.json()["id"]}, headers=author.headers)
    assert again.status_code == 201, again.text
    for kind in ("diary", "review", "answer"):
        target = made[kind]
        r = client.put(f"/v1/likes/{kind}/{target['id']}", headers=victim.headers)
        assert r.status_code in (200, 201), r.text
    drain(client)
    return made


def read_paths(made: dict[str, Any], author: Member) -> list[str]:
    d, q, vq, vd = made["diary"], made["question"], made["victim_question"], made["victim_diary"]
    ref = made["ref"]
    return [
        f"/v1/diaries/{d['id']}", f"/v1/diaries/{d['id']}/entries", "/v1/diaries", "/v1/diaries?sort=popular",
        f"/v1/diaries?author_id={author.id}", f"/v1/diaries?procedure={ref['procedure']}",
        f"/v1/reviews/{made['review']['id']}", "/v1/reviews", "/v1/reviews?sort=helpful",
        f"/v1/reviews?author_id={author.id}", f"/v1/reviews?target_type=clinic&target_id={ref['clinic']['id']}",
        f"/v1/questions/{q['id']}", "/v1/questions", f"/v1/questions?author_id={author.id}",
        f"/v1/questions/{q['id']}/answers", f"/v1/diaries/{vd['id']}",
        f"/v1/questions/{vq['id']}", f"/v1/questions/{vq['id']}/answers", f"/v1/answers/{made['answer']['id']}",
        f"/v1/comments?target_type=diary&target_id={vd['id']}", f"/v1/comments/{made['comment']['id']}",
        f"/v1/comments?target_type=diary&target_id={d['id']}",
        f"/v1/clinics/{ref['clinic']['id']}", f"/v1/doctors/{ref['doctor']['id']}",
        "/v1/search?q=双眼皮", "/v1/search?q=双眼皮&sort=recent",
        "/v1/search?q=重睑术&type=diary,review,question,answer",
        "/v1/search/suggest?q=双",
        f"/v1/accounts/{author.id}",
    ]


CREATORS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "diary": lambda m: m["diary"], "diary_entry": lambda m: m["diary_entry"], "review": lambda m: m["review"],
    "question": lambda m: m["question"], "answer": lambda m: m["answer"], "comment": lambda m: m["comment"],
}
# Pages are written by editors under their own name: the encyclopedia has no anonymous posts. An
# official reply speaks in its clinic's or doctor's name (walked below, for the reviewer's sake).
NOT_ANONYMOUS = {"wiki", "review_reply"}


def test_every_registered_type_is_walked() -> None:
    assert set(KINDS) - NOT_ANONYMOUS <= set(CREATORS), "add the new type to the anonymity walk"


def test_anonymous_author_is_never_revealed(client: TestClient) -> None:
    author, victim = sign_up(client), sign_up(client)
    made = make_everything(client, author, victim)
    stranger = sign_up(client)
    for kind, created in CREATORS.items():
        if kind in KINDS:
            assert created(made)["is_mine"] is True  # the author still sees their own posts as theirs

    for path in read_paths(made, author):
        for who, headers in (("public", {}), ("member", stranger.headers), ("victim", victim.headers)):
            r = client.get(path, headers=headers)
            where = f"{who} GET {path}"
            if path == f"/v1/accounts/{author.id}":
                # The profile is the author's own page: it may name them, but counts nothing anonymous.
                assert set(r.json()["counts"].values()) == {0}, r.json()
                continue
            assert r.status_code == 200, (where, r.text)
            assert_hidden(r, author, where)

    r = client.get("/v1/search?q=双眼皮")
    assert r.json()["total"] >= 3  # the walk did look at the anonymous posts in search
    assert client.get(f"/v1/diaries?author_id={author.id}").json()["items"] == []
    assert client.get(f"/v1/diaries?author_id={author.id}", headers=author.headers).json()["items"]

    notes = client.get("/v1/me/notifications", headers=victim.headers)
    assert notes.status_code == 200 and notes.json()["items"], notes.text
    assert_hidden(notes, author, "victim's notifications")

    walk_follows_favourites_and_feed(client, made, author, (stranger, victim))


def walk_follows_favourites_and_feed(client: TestClient, made: dict[str, Any], author: Member,
                                     readers: tuple[Member, ...]) -> None:
    """Following the author's account, their anonymous diary and what they posted on, keeping their
    anonymous posts: the follows, favourites and feed name the posts, never their author."""
    ref = made["ref"]
    follows = [("account", author.id), ("diary", made["diary"]["id"]), ("procedure", ref["procedure"]),
               ("clinic", ref["clinic"]["id"]), ("question", made["victim_question"]["id"]),
               ("question", made["question"]["id"])]
    for reader in readers:
        for target_type, target_id in follows:
            r = client.put(f"/v1/follows/{target_type}/{target_id}", headers=reader.headers)
            assert r.status_code == 204, (target_type, r.text)
        for kind in ("diary", "review", "question", "answer"):
            r = client.put(f"/v1/favorites/{kind}/{made[kind]['id']}", headers=reader.headers)
            assert r.status_code == 204, (kind, r.text)
        feed = client.get("/v1/me/feed", headers=reader.headers)
        # The walk did reach the anonymous posts, through what they are on, never through the author.
        assert {(i["type"], i["id"]) for i in feed.json()["items"]} >= {
            ("diary", made["diary"]["id"]), ("diary_entry", made["diary_entry"]["id"]),
            ("review", made["review"]["id"]), ("answer", made["answer"]["id"])}, feed.text
        assert all(i["because"]["type"] != "account" for i in feed.json()["items"]), feed.text
        # The follow of the account names the account the reader chose; every other follow names none.
        for path in ("/v1/me/feed", "/v1/me/favorites", f"/v1/accounts/{author.id}",
                     *(f"/v1/me/follows?target_type={t}" for t in ("diary", "question", "procedure", "clinic")),
                     f"/v1/diaries/{made['diary']['id']}", f"/v1/questions/{made['question']['id']}"):
            r = client.get(path, headers=reader.headers)
            assert r.status_code == 200, (path, r.text)
            if path != f"/v1/accounts/{author.id}":  # the profile is the author's own page
                assert_hidden(r, author, f"follower GET {path}")
    # Followers are a count on the profile, never a list.
    assert client.get(f"/v1/accounts/{author.id}").json()["follower_count"] == len(readers)


def test_errors_and_etags_do_not_reveal_the_author(client: TestClient) -> None:
    author, victim = sign_up(client), sign_up(client)
    ref = reference(client)
    d = diary(client, author, ref, anonymous=True)
    stranger = sign_up(client)
    for r in (client.patch(f"/v1/diaries/{d['id']}", json={"title": "x"}, headers=stranger.headers),
              client.delete(f"/v1/diaries/{d['id']}", headers=stranger.headers),
              client.post(f"/v1/diaries/{d['id']}/entries", json={"body": "我来写", "happened_on": "2026-10-02"},
                          headers=stranger.headers),
              client.get(f"/v1/diaries/{d['id']}")):
        assert_hidden(r, author, "errors")
    etag_of_author = client.get(f"/v1/diaries/{d['id']}", headers=author.headers).headers["etag"]
    assert client.get(f"/v1/diaries/{d['id']}", headers=victim.headers).headers["etag"] == etag_of_author


# Keys that would say "the same person wrote both" across posts; none may ever be emitted.
SAME_AUTHOR_KEYS = {"is_op", "op", "by_author", "by_asker", "is_asker", "asker_answered", "same_author"}


def keys_of(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from keys_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys_of(item)


def test_no_link_joins_an_anonymous_post_to_a_named_one(client: TestClient) -> None:
    ref = reference(client)
    author, stranger = sign_up(client), sign_up(client)
    photo = upload(client, author)
    named = diary(client, author, ref, title="我的鼻综合日记")
    secret = diary(client, author, ref, anonymous=True, title="不想让同事知道的吸脂日记", before_media_ids=[photo])
    body = {"target_type": "clinic", "target_id": ref["clinic"]["id"], "procedure": ref["procedure"], "rating": 4,
            "body": "<p>医生很专业，就是排队太久</p>"}

    # review.diary_id says "who wrote this review wrote this diary": never across anonymity.
    for anonymous, diary_id in ((True, named["id"]), (False, secret["id"])):
        r = client.post("/v1/reviews", json={**body, "anonymous": anonymous, "diary_id": diary_id},
                        headers=author.headers)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "diary_id", r.text
    assert client.get(f"/v1/reviews?author_id={author.id}", headers=author.headers).json()["items"] == []
    hidden_review = review(client, author, ref, anonymous=True, diary_id=secret["id"], body="<p>吸脂恢复很顺利</p>")
    named_review = review(client, author, ref, target_type="doctor", target_id=ref["doctor"]["id"],
                          diary_id=named["id"], body="<p>李医生的鼻综合做得很自然</p>")

    # ... and stays so: anonymity cannot be switched afterwards on either side of a link.
    for path, etag_of in ((f"/v1/diaries/{secret['id']}", "diary"), (f"/v1/reviews/{named_review['id']}", "review")):
        current = client.get(path, headers=author.headers)
        r = client.patch(path, json={"anonymous": etag_of == "review"},
                         headers={**author.headers, "If-Match": current.headers["etag"]})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "anonymous", r.text
    assert client.get(f"/v1/diaries/{secret['id']}").json()["anonymous"] is True

    # The anonymous diary's photo cannot be shown again on a named post.
    r = client.patch(f"/v1/reviews/{named_review['id']}", json={"media_ids": [photo]}, headers=author.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "media_ids.0", r.text

    # Answers to one's own question and replies to one's own comment carry ids only.
    question = client.post("/v1/questions", json={"title": "鼻综合能维持多久？", "body": "<p>想听听大家的经验</p>",
                                                  "anonymous": False}, headers=author.headers).json()
    answer = client.post(f"/v1/questions/{question['id']}/answers",
                         json={"body": "<p>我做了三年了，形态没怎么变</p>", "anonymous": True}, headers=author.headers)
    assert answer.status_code == 201, answer.text
    top = client.post("/v1/comments", json={"target_type": "diary", "target_id": named["id"], "body": "谢谢关注",
                                            "anonymous": False}, headers=author.headers).json()
    reply = client.post("/v1/comments", json={"target_type": "diary", "target_id": named["id"],
                                              "body": "其实我也做过吸脂", "anonymous": True, "reply_to": top["id"]},
                        headers=author.headers)
    assert reply.status_code == 201, reply.text
    drain(client)

    for who, headers in (("public", {}), ("member", stranger.headers)):
        reviews = client.get("/v1/reviews", headers=headers).json()["items"]
        assert {r["id"] for r in reviews} == {hidden_review["id"], named_review["id"]}
        for shown in reviews:
            linked = client.get(f"/v1/diaries/{shown['diary_id']}", headers=headers).json()
            assert linked["anonymous"] is shown["anonymous"], (who, shown)
        answers = client.get(f"/v1/questions/{question['id']}/answers", headers=headers).json()["items"]
        assert [(a["author"], a["is_mine"]) for a in answers] == [(None, False)], who
        thread = client.get("/v1/comments", params={"target_type": "diary", "target_id": named["id"]},
                            headers=headers).json()["items"]
        assert [c["author"] is None for c in thread] == [False, True], who
        # Lists by author and the profile's counts show the named posts only.
        assert [d["id"] for d in client.get(f"/v1/diaries?author_id={author.id}", headers=headers).json()["items"]] == [
            named["id"]]
        assert [r["id"] for r in client.get(f"/v1/reviews?author_id={author.id}", headers=headers).json()["items"]] == [
            named_review["id"]]
        profile = client.get(f"/v1/accounts/{author.id}", headers=headers).json()
        assert {k: v for k, v in profile["counts"].items() if v} == {"diaries": 1, "reviews": 1, "questions": 1,
                                                                      "comments": 1}, profile
        for path in (f"/v1/reviews/{hidden_review['id']}", f"/v1/diaries/{secret['id']}",
                     f"/v1/answers/{answer.json()['id']}", f"/v1/comments/{reply.json()['id']}",
                     f"/v1/questions/{question['id']}/answers", "/v1/search?q=吸脂", "/v1/search?q=鼻综合"):
            r = client.get(path, headers=headers)
            assert r.status_code == 200, (who, path, r.text)
            assert not SAME_AUTHOR_KEYS & set(keys_of(r.json())), (who, path)
            if path.startswith(("/v1/reviews/", "/v1/diaries/", "/v1/answers/", "/v1/comments/")):
                assert_hidden(r, author, f"{who} GET {path}")


def test_a_link_written_before_the_rule_is_shown_to_its_author_only(client: TestClient) -> None:
    from content.models.reviews import Review

    ref = reference(client)
    author, stranger = sign_up(client), sign_up(client)
    secret = diary(client, author, ref, anonymous=True, title="不想让同事知道的吸脂日记")
    named_review = review(client, author, ref, body="<p>医院环境很好，前台很热情</p>")
    portal = client.portal
    assert portal is not None
    # As a review saved while links across anonymity were still accepted.
    portal.call(lambda: Review.filter(id=int(named_review["id"])).update(diary_id=int(secret["id"])))

    for who, headers in (("public", {}), ("member", stranger.headers)):
        assert client.get(f"/v1/reviews/{named_review['id']}", headers=headers).json()["diary_id"] is None, who
        listed = client.get("/v1/reviews", headers=headers).json()["items"]
        assert [r["diary_id"] for r in listed] == [None], who
    mine = client.get(f"/v1/reviews/{named_review['id']}", headers=author.headers).json()
    assert mine["diary_id"] == secret["id"]


def test_the_clinic_that_replies_and_the_doctor_who_answers_never_learn_the_author(client: TestClient) -> None:
    """The walk through professional accounts: a clinic replies to an anonymous review and a verified
    doctor answers an anonymous question; neither they nor anyone else is told who wrote them."""
    ref = reference(client)  # made first, so no clinic or doctor id equals the author's account id
    admin, staff, doctor_account = sign_up(client, role="admin"), sign_up(client), sign_up(client)
    author, stranger = sign_up(client), sign_up(client)
    for path in (f"/v1/clinics/{ref['clinic']['id']}/staff/{staff.id}",
                 f"/v1/doctors/{ref['doctor']['id']}/account/{doctor_account.id}"):
        assert client.put(path, headers=admin.headers).status_code == 200
    rv = review(client, author, ref, anonymous=True, rating=1, body=f"<p>双眼皮不对称 {NEGATIVE[2]}</p>")
    replied = client.put(f"/v1/reviews/{rv['id']}/reply", json={"body": "<p>非常抱歉，请联系客服安排免费修复。</p>"},
                         headers=staff.headers)
    assert replied.status_code == 200, replied.text
    assert_hidden(replied, author, "the clinic's reply")
    question = client.post("/v1/questions", json={"title": "双眼皮不对称能修复吗？", "body": "<p>左眼比右眼宽</p>",
                                                  "anonymous": True}, headers=author.headers).json()
    answered = client.post(f"/v1/questions/{question['id']}/answers",
                           json={"body": "<p>术后三个月再评估，不对称明显可以做修复。</p>", "anonymous": False},
                           headers=doctor_account.headers)
    assert answered.status_code == 201 and answered.json()["by_doctor"]["name"] == "李明", answered.text
    assert_hidden(answered, author, "the doctor's answer")

    reply_id = replied.json()["reply"]["id"]
    paths = [f"/v1/reviews/{rv['id']}", "/v1/reviews", f"/v1/review-replies/{reply_id}",
             f"/v1/questions/{question['id']}", f"/v1/questions/{question['id']}/answers",
             "/v1/questions?answered_by_doctor=true", f"/v1/accounts/{staff.id}", f"/v1/accounts/{doctor_account.id}"]
    for who, headers in (("public", {}), ("clinic", staff.headers), ("doctor", doctor_account.headers),
                         ("member", stranger.headers)):
        for path in paths:
            r = client.get(path, headers=headers)
            assert r.status_code == 200, (who, path, r.text)
            assert_hidden(r, author, f"{who} GET {path}")
        notes = client.get("/v1/me/notifications", headers=headers) if headers else None
        if notes is not None:
            assert_hidden(notes, author, f"{who}'s notifications")
    # The reviewer and the asker are told, by the clinic's and the doctor's name.
    told = client.get("/v1/me/notifications", headers=author.headers).json()["items"]
    assert {n["kind"] for n in told} >= {"review_reply", "answer"}, told
