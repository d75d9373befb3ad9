"""Questions, answers, acceptance and votes (问答) over HTTP."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.conftest import Member
from tests.content._people import person
from tests.corpus import own_reviews

REVIEWS = own_reviews("pos")[10:40]


def ask(client: TestClient, member: Member, **fields: Any) -> dict[str, Any]:
    body = {"title": "全切双眼皮一周了还是很肿，正常吗？", "body": "<p>上周五做的全切，今天拆线，眼睛还是很肿。</p>",
            "anonymous": False, **fields}
    r = client.post("/v1/questions", json=body, headers=member.headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def answer(client: TestClient, member: Member, question_id: str, body: str = "正常的，一般两到四周消肿。",
           anonymous: bool = False) -> dict[str, Any]:
    r = client.post(f"/v1/questions/{question_id}/answers", json={"body": body, "anonymous": anonymous},
                    headers=member.headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def procedures(client: TestClient, *slugs: str) -> None:
    """Reference data the posts name, made as an editor would (content's reference service)."""
    from content.schemas.reference import ProcedureIn
    from content.services import reference

    portal = client.portal
    assert portal is not None
    for slug in slugs:
        portal.call(reference.create_procedure, ProcedureIn(slug=slug, name=slug))


def notifications(client: TestClient, member: Member) -> list[dict[str, Any]]:
    r = client.get("/v1/me/notifications", headers=member.headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def test_ask_answer_accept_and_vote(db_client: TestClient) -> None:
    asker, helper, voter = person(db_client), person(db_client), person(db_client)
    question = ask(db_client, asker, body="<p>眼睛<strong>很肿</strong><script>alert(1)</script></p>")
    assert question["body"] == "<p>眼睛<strong>很肿</strong></p>"
    assert question["text"] == "眼睛很肿"
    assert question["answered"] is False and question["author"]["handle"] == asker.handle

    first = answer(db_client, helper, question["id"], REVIEWS[0])
    second = answer(db_client, voter, question["id"], REVIEWS[1])
    r = db_client.put(f"/v1/answers/{second['id']}/vote", json={"value": 1}, headers=helper.headers)
    assert r.status_code == 200 and r.json()["score"] == 1 and r.json()["my_vote"] == 1

    r = db_client.put(f"/v1/questions/{question['id']}/accepted-answer", json={"answer_id": first["id"]},
                      headers=asker.headers)
    assert r.status_code == 200
    assert r.json()["accepted_answer_id"] == first["id"] and r.json()["answered"] is True

    listing = db_client.get(f"/v1/questions/{question['id']}/answers").json()["items"]
    assert [a["id"] for a in listing] == [first["id"], second["id"]]
    assert listing[0]["accepted"] is True

    r = db_client.delete(f"/v1/questions/{question['id']}/accepted-answer", headers=asker.headers)
    assert r.status_code == 200 and r.json()["accepted_answer_id"] is None
    listing = db_client.get(f"/v1/questions/{question['id']}/answers").json()["items"]
    assert [a["id"] for a in listing] == [second["id"], first["id"]]


def test_only_the_asker_accepts(client: TestClient) -> None:
    asker, helper = person(client), person(client)
    question = ask(client, asker)
    given = answer(client, helper, question["id"])
    r = client.put(f"/v1/questions/{question['id']}/accepted-answer", json={"answer_id": given["id"]},
                   headers=helper.headers)
    assert r.status_code == 403
    assert client.put(f"/v1/questions/{question['id']}/accepted-answer",
                      json={"answer_id": given["id"]}).status_code == 401
    r = client.put(f"/v1/questions/{question['id']}/accepted-answer", json={"answer_id": "999"},
                   headers=asker.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "answer_id"


def test_accepting_another_answer_replaces_the_first(client: TestClient) -> None:
    asker, a, b = person(client), person(client), person(client)
    question = ask(client, asker)
    one, two = answer(client, a, question["id"]), answer(client, b, question["id"], "我是三周左右消的肿。")
    url = f"/v1/questions/{question['id']}/accepted-answer"
    client.put(url, json={"answer_id": one["id"]}, headers=asker.headers)
    client.put(url, json={"answer_id": two["id"]}, headers=asker.headers)
    items = client.get(f"/v1/questions/{question['id']}/answers").json()["items"]
    assert [(x["id"], x["accepted"]) for x in items] == [(two["id"], True), (one["id"], False)]


def test_one_vote_per_member_changing_replaces_and_zero_withdraws(db_client: TestClient) -> None:
    asker, helper = person(db_client), person(db_client)
    voters = [person(db_client) for _ in range(3)]
    question = ask(db_client, asker)
    given = answer(db_client, helper, question["id"])
    url = f"/v1/answers/{given['id']}/vote"
    for count, v in enumerate(voters, start=1):
        assert db_client.put(url, json={"value": 1}, headers=v.headers).json()["score"] == count
    assert db_client.put(url, json={"value": 1}, headers=voters[0].headers).json()["score"] == 3
    assert db_client.put(url, json={"value": -1}, headers=voters[0].headers).json()["score"] == 1
    assert db_client.put(url, json={"value": 0}, headers=voters[0].headers).json()["score"] == 2
    assert db_client.put(url, json={"value": 0}, headers=voters[0].headers).json()["score"] == 2
    assert db_client.get(f"/v1/answers/{given['id']}").json()["score"] == 2


def test_vote_rules(client: TestClient) -> None:
    asker, helper = person(client), person(client)
    question = ask(client, asker)
    given = answer(client, helper, question["id"])
    url = f"/v1/answers/{given['id']}/vote"
    assert client.put(url, json={"value": 1}, headers=helper.headers).status_code == 403
    assert client.put(url, json={"value": 2}, headers=asker.headers).status_code == 422
    assert client.put(url, json={"value": 1}).status_code == 401
    assert client.put("/v1/answers/424242/vote", json={"value": 1}, headers=asker.headers).status_code == 404


def test_a_new_answer_notifies_the_asker_without_naming_an_anonymous_answerer(client: TestClient) -> None:
    asker, shy, open_ = person(client), person(client), person(client)
    question = ask(client, asker)
    answer(client, shy, question["id"], "我也做过，三周后基本看不出来了。", anonymous=True)
    answer(client, open_, question["id"], "冰敷很重要。")
    items = notifications(client, asker)
    assert [n["kind"] for n in items] == ["answer", "answer"]
    newest, oldest = items
    assert newest["payload"]["answerer"]["handle"] == open_.handle
    assert oldest["payload"]["answerer"] is None
    assert shy.handle not in str(oldest) and f'"{shy.id}"' not in str(oldest).replace("'", '"')
    # Answering one's own question notifies nobody.
    answer(client, asker, question["id"], "补充：我现在第十天了。")
    assert len(notifications(client, asker)) == 2


def test_anonymous_question_and_answer_hide_their_authors(client: TestClient) -> None:
    asker, helper, stranger = person(client), person(client), person(client)
    question = ask(client, asker, anonymous=True)
    given = answer(client, helper, question["id"], anonymous=True)
    for viewer in ({}, stranger.headers):
        q = client.get(f"/v1/questions/{question['id']}", headers=viewer).json()
        assert q["author"] is None and q["is_mine"] is False and q["anonymous"] is True
        a = client.get(f"/v1/answers/{given['id']}", headers=viewer).json()
        assert a["author"] is None and a["is_mine"] is False
        assert asker.handle not in str(q) and helper.handle not in str(a)
    mine = client.get(f"/v1/questions/{question['id']}", headers=asker.headers).json()
    assert mine["is_mine"] is True and mine["author"]["handle"] == asker.handle
    # An author_id filter never shows the anonymous question to others.
    assert client.get(f"/v1/questions?author_id={asker.id}").json()["items"] == []
    # The ETag of an anonymous post is the same for everyone and carries no author.
    tags = {client.get(f"/v1/questions/{question['id']}", headers=h).headers["etag"]
            for h in ({}, asker.headers, stranger.headers)}
    assert len(tags) == 1


def test_list_filters_by_procedure_and_answered_with_cursors(db_client: TestClient) -> None:
    asker, helper = person(db_client), person(db_client)
    procedures(db_client, "thermage", "shui-guang-zhen")
    made = [ask(db_client, asker, title=f"热玛吉第{i}次问题：多久见效？", procedure="thermage") for i in range(5)]
    ask(db_client, asker, title="水光针多久打一次？", procedure="shui-guang-zhen")
    answer(db_client, helper, made[1]["id"])
    seen: list[str] = []
    url = "/v1/questions?procedure=thermage&limit=2"
    while url:
        r = db_client.get(url)
        assert r.status_code == 200
        seen += [q["id"] for q in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        url = f"/v1/questions?procedure=thermage&limit=2&cursor={cursor}" if cursor else ""
    assert seen == [q["id"] for q in reversed(made)]
    answered = db_client.get("/v1/questions?answered=true").json()["items"]
    assert [q["id"] for q in answered] == [made[1]["id"]]
    unanswered = db_client.get("/v1/questions?answered=false&procedure=thermage").json()["items"]
    assert made[1]["id"] not in [q["id"] for q in unanswered] and len(unanswered) == 4
    assert db_client.get("/v1/questions?cursor=forged!").status_code == 422
    r = db_client.post("/v1/questions", json={"title": "不存在的项目", "procedure": "no-such"}, headers=asker.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "procedure"


def test_edit_with_if_match(client: TestClient) -> None:
    asker, other = person(client), person(client)
    question = ask(client, asker)
    url = f"/v1/questions/{question['id']}"
    tag = client.get(url).headers["etag"]
    r = client.patch(url, json={"title": "全切双眼皮十天了还肿"}, headers={**asker.headers, "If-Match": tag})
    assert r.status_code == 200 and r.json()["version"] == 2 and r.headers["etag"] != tag
    r = client.patch(url, json={"title": "又改了一次"}, headers={**asker.headers, "If-Match": tag})
    assert r.status_code == 412
    assert client.patch(url, json={"title": "别人来改"}, headers=other.headers).status_code == 403
    assert client.patch(url, json={"title": "x" * 300}, headers=asker.headers).json()["errors"][0]["field"] == "title"
    assert client.patch(url, json={"anonymous": True}, headers=asker.headers).status_code == 422

    given = answer(client, other, question["id"])
    a_url = f"/v1/answers/{given['id']}"
    r = client.patch(a_url, json={"body": "<p>补充：冰敷48小时</p>"}, headers=other.headers)
    assert r.status_code == 200 and r.json()["text"] == "补充：冰敷48小时"
    assert client.patch(a_url, json={"body": "改"}, headers={**other.headers, "If-Match": '"stale"'}).status_code == 412
    assert client.patch(a_url, json={"body": "改"}, headers=asker.headers).status_code == 403


def test_delete_is_soft_and_immediate(db_client: TestClient) -> None:
    asker, helper = person(db_client), person(db_client)
    question = ask(db_client, asker)
    given = answer(db_client, helper, question["id"])
    assert db_client.delete(f"/v1/answers/{given['id']}", headers=asker.headers).status_code == 403
    assert db_client.delete(f"/v1/answers/{given['id']}", headers=helper.headers).status_code == 204
    assert db_client.get(f"/v1/answers/{given['id']}").status_code == 404
    assert db_client.get(f"/v1/answers/{given['id']}", headers=helper.headers).status_code == 404
    assert db_client.get(f"/v1/questions/{question['id']}").json()["answer_count"] == 0

    assert db_client.delete(f"/v1/questions/{question['id']}", headers=helper.headers).status_code == 403
    assert db_client.delete(f"/v1/questions/{question['id']}", headers=asker.headers).status_code == 204
    assert db_client.get(f"/v1/questions/{question['id']}").status_code == 404
    assert db_client.get(f"/v1/questions/{question['id']}/answers").status_code == 404
    assert db_client.delete(f"/v1/questions/{question['id']}", headers=asker.headers).status_code == 404
    assert db_client.get("/v1/questions").json()["items"] == []


def test_deleted_content_leaves_search_before_the_call_returns(client: TestClient) -> None:
    asker, helper = person(client), person(client)
    question = ask(client, asker, title="玻尿酸溶解酶有副作用吗")
    given = answer(client, helper, question["id"], "溶解酶可能过敏，要先做皮试。")
    index = client.app.state.services.search  # type: ignore[attr-defined]
    portal = client.portal
    assert portal is not None
    from content.services.questions import answer_documents, question_documents

    docs = [*portal.call(question_documents, [int(question["id"])]).values(),
            *portal.call(answer_documents, [int(given["id"])]).values()]
    assert {d.key for d in docs} == {("question", question["id"]), ("answer", given["id"])}
    assert all(asker.handle not in str(d) and helper.handle not in str(d) for d in docs)
    # An answer is found under its question's title and procedure, and by its own words.
    by_type = {d.type: d for d in docs}
    assert by_type["answer"].title == by_type["question"].title == "玻尿酸溶解酶有副作用吗"
    assert by_type["answer"].procedure == by_type["question"].procedure == question["procedure"]
    assert by_type["answer"].text == "溶解酶可能过敏，要先做皮试。"
    assert by_type["answer"].created_at.isoformat().replace("+00:00", "Z") == given["created_at"]
    portal.call(index.upsert, docs)
    from search.interfaces import Query

    before = {(h.type, h.id) for h in portal.call(index.search, Query("溶解酶")).hits}
    assert ("answer", given["id"]) in before

    assert client.delete(f"/v1/questions/{question['id']}", headers=asker.headers).status_code == 204
    hits = portal.call(index.search, Query("溶解酶")).hits
    assert {(h.type, h.id) for h in hits}.isdisjoint({("question", question["id"]), ("answer", given["id"])})
    assert portal.call(answer_documents, [int(given["id"])]) == {}


def test_validation_and_missing_things(client: TestClient) -> None:
    asker = person(client)
    r = client.post("/v1/questions", json={"title": "", "body": "正文"}, headers=asker.headers)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "title"
    assert client.post("/v1/questions", json={"title": "水光针疼吗"}).status_code == 401
    assert client.get("/v1/questions/abc").status_code == 404
    assert client.get("/v1/questions/999999").status_code == 404
    assert client.post("/v1/questions/999999/answers", json={"body": "答"}, headers=asker.headers).status_code == 404
    question = ask(client, asker)
    r = client.post(f"/v1/questions/{question['id']}/answers", json={"body": "<script>x</script>"},
                    headers=asker.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"


def test_create_is_idempotent(client: TestClient) -> None:
    asker = person(client)
    headers = {**asker.headers, "Idempotency-Key": "ask-once-thermage"}
    body = {"title": "热玛吉能和水光针一起做吗？", "body": "想一次做完"}
    first = client.post("/v1/questions", json=body, headers=headers)
    again = client.post("/v1/questions", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert client.post("/v1/questions", json={**body, "body": "另一个"}, headers=headers).status_code == 422
    assert len(client.get("/v1/questions").json()["items"]) == 1


def test_removed_question_answers_451_with_the_case(client: TestClient) -> None:
    asker = person(client)
    question = ask(client, asker)
    from content.services import set_status

    portal = client.portal
    assert portal is not None
    portal.call(lambda: set_status(client.app.state.services, "question", question["id"], "removed",  # type: ignore[attr-defined]
                                   case_id="C-2026-1", reason="侵权"))
    r = client.get(f"/v1/questions/{question['id']}")
    assert r.status_code == 451 and r.json()["case_id"] == "C-2026-1"
    assert client.get(f"/v1/questions/{question['id']}", headers=asker.headers).status_code == 200
    assert client.get("/v1/questions").json()["items"] == []


def test_concurrent_votes_are_all_counted(client: TestClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    asker, helper = person(client), person(client)
    voters = [person(client) for _ in range(10)]
    question = ask(client, asker)
    given = answer(client, helper, question["id"])
    url = f"/v1/answers/{given['id']}/vote"

    def vote(pair: tuple[Member, int]) -> int:
        return client.put(url, json={"value": pair[1]}, headers=pair[0].headers).status_code

    # Each voter votes up, some change their minds down, all at once.
    moves = [(v, 1) for v in voters] + [(v, -1) for v in voters[:3]]
    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(vote, moves)) == {200}
    # Whatever order they landed in, the score is the sum of the votes that stand.
    standing = [client.get(f"/v1/answers/{given['id']}", headers=v.headers).json()["my_vote"] for v in voters]
    assert all(vote in (1, -1) for vote in standing)
    assert client.get(f"/v1/answers/{given['id']}").json()["score"] == sum(standing)


def test_hidden_question_is_seen_by_its_asker_but_takes_no_answers_or_likes(client: TestClient) -> None:
    asker, helper = person(client), person(client)
    question = ask(client, asker)
    from content.services import set_status

    portal = client.portal
    assert portal is not None
    portal.call(lambda: set_status(client.app.state.services, "question", question["id"], "hidden"))  # type: ignore[attr-defined]
    assert client.get(f"/v1/questions/{question['id']}", headers=helper.headers).status_code == 404
    shown = client.get(f"/v1/questions/{question['id']}", headers=asker.headers)
    assert shown.status_code == 200 and shown.json()["status"] == "hidden"
    r = client.post(f"/v1/questions/{question['id']}/answers", json={"body": "自问自答"}, headers=asker.headers)
    assert r.status_code == 404  # as the public is answered, even for the asker who can read it
    assert client.put(f"/v1/likes/question/{question['id']}", headers=asker.headers).status_code == 404
    assert client.post(f"/v1/questions/{question['id']}/answers", json={"body": "我来回答"},
                       headers=helper.headers).status_code == 404


def test_questions_and_answers_are_searchable_until_deleted(client: TestClient) -> None:
    from tests.content.factories import drain

    asker, helper = person(client), person(client)
    question = ask(client, asker, title="玻尿酸溶解酶打完会过敏吗", anonymous=True)
    given = answer(client, helper, question["id"], "溶解酶有过敏的可能，注射前最好先做皮试。")
    drain(client)
    hits = client.get("/v1/search", params={"q": "溶解酶"}).json()["items"]
    assert {("question", question["id"]), ("answer", given["id"])} <= {(h["type"], h["id"]) for h in hits}
    assert asker.handle not in str(hits)

    assert client.delete(f"/v1/questions/{question['id']}", headers=asker.headers).status_code == 204
    hits = client.get("/v1/search", params={"q": "溶解酶"}).json()["items"]
    assert {(h["type"], h["id"]) for h in hits}.isdisjoint({("question", question["id"]), ("answer", given["id"])})


def test_answer_pages_keep_the_accepted_answer_first_and_the_order_stable(db_client: TestClient) -> None:
    client = db_client
    asker = person(client)
    helpers = [person(client) for _ in range(4)]
    question = ask(client, asker)
    given = [answer(client, h, question["id"], f"第{i}种说法：消肿需要{i + 1}周。") for i, h in enumerate(helpers)]
    client.put(f"/v1/answers/{given[2]['id']}/vote", json={"value": 1}, headers=asker.headers)
    client.put(f"/v1/answers/{given[3]['id']}/vote", json={"value": -1}, headers=asker.headers)
    client.put(f"/v1/questions/{question['id']}/accepted-answer", json={"answer_id": given[1]["id"]},
               headers=asker.headers)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        r = client.get(f"/v1/questions/{question['id']}/answers", params=params)
        assert r.status_code == 200
        seen += [a["id"] for a in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == [given[1]["id"], given[2]["id"], given[0]["id"], given[3]["id"]]
    # Each reader sees their own vote on the list, and no one else's.
    url = f"/v1/questions/{question['id']}/answers"
    votes = {a["id"]: a["my_vote"] for a in client.get(url, headers=asker.headers).json()["items"]}
    assert votes == {given[1]["id"]: 0, given[2]["id"]: 1, given[0]["id"]: 0, given[3]["id"]: -1}
    assert {a["my_vote"] for a in client.get(url, headers=helpers[0].headers).json()["items"]} == {0}
    assert {a["my_vote"] for a in client.get(url).json()["items"]} == {0}
