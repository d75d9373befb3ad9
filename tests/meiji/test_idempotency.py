"""``Idempotency-Key``: one object per key whatever the concurrency, scoped to the caller, no secret replayed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from starlette.testclient import TestClient

from kernel.web.models import IdempotencyRecord
from tests.conftest import Member, sign_up
from tests.moderation.conftest import ask, notice_body

QUESTION = {"title": "玻尿酸填充泪沟能维持多久？", "body": "<p>打算下个月去做，想知道大概多久要补打一次。</p>",
            "anonymous": False}


def questions_by(client: TestClient, author: Member) -> list[str]:
    """The author's questions as a visitor without a token lists them."""
    r = client.get(f"/v1/questions?author_id={author.id}&limit=100")
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]


def test_twelve_concurrent_duplicates_create_one_question(db_client: TestClient) -> None:
    author = sign_up(db_client)
    headers = {**author.headers, "Idempotency-Key": "question-once-7f3a9c"}

    def send(_: int) -> tuple[int, dict[str, object]]:
        r = db_client.post("/v1/questions", json=QUESTION, headers=headers)
        return r.status_code, r.json()

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(send, range(12)))

    statuses = {status for status, _ in answers}
    assert statuses <= {201, 409}, answers
    assert 201 in statuses
    created = {body["id"] for status, body in answers if status == 201}
    assert len(created) == 1
    for status, body in answers:
        if status == 409:  # still at work when this duplicate gave up waiting: told so, by name
            assert body["errors"] == [{"field": "Idempotency-Key", "message": "in progress"}]
    assert questions_by(db_client, author) == list(created)

    # Sent again once everything has settled, the key replays the one question.
    again = db_client.post("/v1/questions", json=QUESTION, headers=headers)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] in created
    assert questions_by(db_client, author) == list(created)


def test_a_key_belongs_to_its_caller(client: TestClient, member: Member) -> None:
    key = {"Idempotency-Key": "same-key-2026"}
    first = client.post("/v1/questions", json=QUESTION, headers={**member.headers, **key})
    assert first.status_code == 201
    someone = sign_up(client)
    theirs = client.post("/v1/questions", json=QUESTION, headers={**someone.headers, **key})
    assert theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["id"] != first.json()["id"]
    assert questions_by(client, someone) == [theirs.json()["id"]]
    assert questions_by(client, member) == [first.json()["id"]]


def test_the_same_key_with_another_body_is_422_and_creates_nothing(client: TestClient, member: Member) -> None:
    headers = {**member.headers, "Idempotency-Key": "body-changed-01"}
    assert client.post("/v1/questions", json=QUESTION, headers=headers).status_code == 201
    other = client.post("/v1/questions", json={**QUESTION, "title": "热玛吉和超声炮哪个更适合三十岁？"},
                        headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert len(questions_by(client, member)) == 1


def test_a_refused_request_does_not_use_up_its_key(client: TestClient, member: Member) -> None:
    headers = {**member.headers, "Idempotency-Key": "wrong-then-right-01"}
    bad = client.post("/v1/questions", json={**QUESTION, "title": ""}, headers=headers)
    assert bad.status_code == 422
    good = client.post("/v1/questions", json=QUESTION, headers=headers)
    # Another body under the same key: the refused first attempt left nothing behind to compare with.
    assert good.status_code == 201, good.text
    assert questions_by(client, member) == [good.json()["id"]]


def test_a_replayed_notice_never_hands_out_the_case_token(client: TestClient, member: Member) -> None:
    question = ask(client, member)
    body = notice_body([{"type": "question", "id": question}])
    key = {"Idempotency-Key": "notice-2026-11-29-a"}

    first = client.post("/v1/notices", json=body, headers=key)
    assert first.status_code == 201, first.text
    case_id, token = first.json()["case_id"], first.json()["access_token"]
    assert token

    # Anyone at the same address sending the same key and body: the same case, without its token.
    replay = client.post("/v1/notices", json=body, headers=key)
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    data = replay.json()
    assert data["case_id"] == case_id
    assert data["access_token"] is None
    assert data["withheld"] == ["access_token"]
    assert token not in replay.text
    assert client.get(f"/v1/notices/{case_id}").status_code == 404

    # The replay store never held the token in clear; the claimant's own token still works.
    portal = client.portal
    assert portal is not None

    async def stored() -> list[IdempotencyRecord]:
        return await IdempotencyRecord.filter(key=key["Idempotency-Key"]).all()

    records = portal.call(stored)
    assert len(records) == 1
    assert token.encode() not in bytes(records[0].body)
    assert client.get(f"/v1/notices/{case_id}", headers={"X-Case-Token": token}).status_code == 200
