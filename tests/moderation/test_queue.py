"""The queue: claims and their race, decisions, real authors shown to moderators, the audit log."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.testclient import TestClient

from kernel.clock import clock
from kernel.web.problems import Problem
from moderation.models import AuditEntry
from moderation.services import queue
from tests.conftest import Member, sign_up
from tests.moderation.conftest import ask, decide, file_notice, item_of


def report(client: TestClient, target_id: str, reason: str = "spam", target_type: str = "question") -> None:
    r = client.post("/v1/reports", json={"target_type": target_type, "target_id": target_id, "reason": reason},
                    headers=sign_up(client).headers)
    assert r.status_code == 201, r.text


def test_a_second_moderator_cannot_claim_until_the_claim_lapses(client: TestClient, member: Member,
                                                                moderator: Member) -> None:
    question = ask(client, member)
    report(client, question)
    second = sign_up(client, role="moderator")
    item = item_of(client, moderator, "question", question)

    first = client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=moderator.headers)
    assert first.status_code == 200
    assert first.json()["claimed_by"] == moderator.id
    assert client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=second.headers).status_code == 409
    assert client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=moderator.headers).status_code == 200
    claimed = client.get("/v1/moderation/queue?status=claimed", headers=second.headers).json()["items"]
    assert [i["id"] for i in claimed] == [item["id"]]
    refused = client.post(f"/v1/moderation/queue/{item['id']}/decisions", json={"action": "keep", "reason": "无"},
                          headers=second.headers)
    assert refused.status_code == 409

    clock.advance(minutes=16)
    assert client.get("/v1/moderation/queue?status=claimed", headers=second.headers).json()["items"] == []
    assert client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=second.headers).status_code == 200
    late = client.post(f"/v1/moderation/queue/{item['id']}/decisions", json={"action": "keep", "reason": "无"},
                       headers=moderator.headers)
    assert late.status_code == 409


def test_decisions_need_a_claim_and_a_live_item(client: TestClient, member: Member, moderator: Member) -> None:
    question = ask(client, member)
    report(client, question)
    item = item_of(client, moderator, "question", question)
    unclaimed = client.post(f"/v1/moderation/queue/{item['id']}/decisions", json={"action": "keep", "reason": "无"},
                            headers=moderator.headers)
    assert unclaimed.status_code == 409
    decide(client, moderator, item["id"], "keep", "正常分享")
    again = client.post(f"/v1/moderation/queue/{item['id']}/decisions", json={"action": "remove", "reason": "改判"},
                        headers=moderator.headers)
    assert again.status_code == 409
    assert client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=moderator.headers).status_code == 409
    resolved = client.get("/v1/moderation/queue?status=resolved", headers=moderator.headers).json()["items"]
    assert [i["id"] for i in resolved] == [item["id"]]
    assert client.post("/v1/moderation/queue/424242/claim", headers=moderator.headers).status_code == 404


def test_only_moderators_see_the_queue_and_the_log(client: TestClient, member: Member) -> None:
    assert client.get("/v1/moderation/queue", headers=member.headers).status_code == 403
    assert client.get("/v1/moderation/log", headers=member.headers).status_code == 403
    assert client.get("/v1/moderation/queue").status_code == 401


def test_one_item_per_target_aggregates_reports_and_notices(client: TestClient, member: Member,
                                                            moderator: Member) -> None:
    question = ask(client, member)
    report(client, question, "spam")
    report(client, question, "infringement")
    case_id, _ = file_notice(client, [{"type": "question", "id": question}])
    r = client.get("/v1/moderation/queue?limit=100", headers=moderator.headers)
    mine = [i for i in r.json()["items"] if i["target"]["id"] == question]
    assert len(mine) == 1
    assert mine[0]["kind"] == "notice"
    assert mine[0]["case_id"] == case_id
    assert mine[0]["reasons"] == {"spam": 1, "infringement": 1, "copyright": 1}
    assert mine[0]["report_count"] == 2


def test_sort_by_due_puts_notices_before_reports(client: TestClient, member: Member, moderator: Member) -> None:
    reported = ask(client, member)
    report(client, reported)
    noticed = ask(client, member)
    file_notice(client, [{"type": "question", "id": noticed}])
    items = client.get("/v1/moderation/queue?sort=due", headers=moderator.headers).json()["items"]
    assert [i["target"]["id"] for i in items] == [noticed, reported]
    page = client.get("/v1/moderation/queue?sort=due&limit=1", headers=moderator.headers).json()
    rest = client.get(f"/v1/moderation/queue?sort=due&limit=1&cursor={page['next_cursor']}",
                      headers=moderator.headers).json()
    assert [i["target"]["id"] for i in page["items"] + rest["items"]] == [noticed, reported]
    notices = client.get("/v1/moderation/queue?kind=notice", headers=moderator.headers).json()["items"]
    assert [i["target"]["id"] for i in notices] == [noticed]


def test_moderators_see_the_real_author_of_anonymous_posts_and_it_is_logged(
        client: TestClient, member: Member, moderator: Member) -> None:
    question = ask(client, member, anonymous=True)
    report(client, question, "privacy")
    public = client.get(f"/v1/questions/{question}").json()
    assert public["author"] is None
    item = item_of(client, moderator, "question", question)
    assert item["target"]["author"] == {"id": member.id, "handle": member.handle}
    assert item["target"]["anonymous"] is True
    log = client.get(f"/v1/moderation/log?target_type=question&target_id={question}&action=author_revealed",
                     headers=moderator.headers).json()["items"]
    assert len(log) == 1
    assert log[0]["actor"] == {"kind": "moderator", "id": moderator.id}

    case_id, _ = file_notice(client, [{"type": "question", "id": question}], notice_type="privacy")
    seen = client.get(f"/v1/notices/{case_id}", headers=moderator.headers).json()
    assert seen["targets"][0]["author_id"] == member.id
    log = client.get(f"/v1/moderation/log?case_id={case_id}&action=author_revealed",
                     headers=moderator.headers).json()["items"]
    assert len(log) == 1


def test_the_log_records_every_step_and_filters(client: TestClient, member: Member, moderator: Member) -> None:
    question = ask(client, member)
    report(client, question)
    case_id, _ = file_notice(client, [{"type": "question", "id": question}])
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "remove", "侵权成立")
    by_case = client.get(f"/v1/moderation/log?case_id={case_id}", headers=moderator.headers).json()["items"]
    actions = [e["action"] for e in reversed(by_case)]
    assert actions[0] == "notice_received"
    assert {"claimed", "decision_remove", "removed", "strike"} <= set(actions)
    removed = next(e for e in by_case if e["action"] == "removed")
    assert removed["reason"] == "侵权成立" and removed["target"] == {"type": "question", "id": question}
    by_actor = client.get(f"/v1/moderation/log?actor_id={moderator.id}", headers=moderator.headers).json()["items"]
    assert {e["actor"]["id"] for e in by_actor} == {moderator.id}
    reports = client.get(f"/v1/moderation/log?target_id={question}&action=report_filed",
                         headers=moderator.headers).json()["items"]
    assert len(reports) == 1
    # No API changes or deletes an entry.
    entry = by_case[0]["id"]
    assert client.delete(f"/v1/moderation/log/{entry}", headers=moderator.headers).status_code in (404, 405)
    assert client.delete("/v1/moderation/log", headers=moderator.headers).status_code == 405


async def _tamper() -> list[str]:
    from kernel import db

    entry = await AuditEntry.create(at=clock.now(), actor_kind="system", action="probe", reason="原始记录")
    refused: list[str] = []
    for attempt in (lambda: AuditEntry.filter(id=entry.id).update(reason="改写"),
                    lambda: AuditEntry.filter(id=entry.id).delete(),
                    lambda: db.connection().execute_query("DELETE FROM moderation_audit_entry")):
        try:
            await attempt()
        except Exception as exc:  # the database's refusal, whatever its driver calls it
            refused.append(type(exc).__name__)
    still = await AuditEntry.get(id=entry.id)
    assert still.reason == "原始记录"
    return refused


def test_the_database_refuses_to_change_the_log(db_client: TestClient) -> None:
    portal = db_client.portal
    assert portal is not None
    assert len(portal.call(_tamper)) == 3


async def _race(state: Any, item_id: str, moderators: list[int]) -> list[str]:
    async def attempt(moderator_id: int) -> str:
        try:
            await queue.claim(item_id, moderator_id, state.settings)
            return "won"
        except Problem as exc:
            assert exc.status == 409
            return "lost"

    return list(await asyncio.gather(*(attempt(m) for m in moderators)))


@pytest.mark.parametrize("rounds", [3])
def test_of_concurrent_claims_exactly_one_wins(db_client: TestClient, rounds: int) -> None:
    author = sign_up(db_client)
    moderators = [sign_up(db_client, role="moderator") for _ in range(3)]
    portal = db_client.portal
    assert portal is not None
    for _ in range(rounds):
        question = ask(db_client, author)
        report(db_client, question)
        item = item_of(db_client, moderators[0], "question", question)
        outcome = portal.call(_race, db_client.app.state.services, item["id"],  # type: ignore[attr-defined]
                              [int(m.id) for m in moderators])
        assert sorted(outcome) == ["lost", "lost", "won"]


def test_reports_outlive_a_request_for_information(client: TestClient, member: Member, moderator: Member) -> None:
    question = ask(client, member)
    for _ in range(3):
        report(client, question, "harassment")
    file_notice(client, [{"type": "question", "id": question}], notice_type="reputation")
    notice_item = item_of(client, moderator, "question", question)
    assert (notice_item["kind"], notice_item["report_count"]) == ("notice", 3)
    decide(client, moderator, notice_item["id"], "request_info", "请说明哪些内容不实")

    assert client.get(f"/v1/questions/{question}").status_code == 404  # still hidden on the reports
    left = item_of(client, moderator, "question", question)
    assert (left["kind"], left["report_count"], left["case_id"]) == ("report", 3, None)
    decide(client, moderator, left["id"], "keep", "正常讨论")
    assert client.get(f"/v1/questions/{question}").status_code == 200


def test_content_deleted_by_its_author_can_only_be_kept(client: TestClient, member: Member,
                                                        moderator: Member) -> None:
    question = ask(client, member)
    report(client, question)
    assert client.delete(f"/v1/questions/{question}", headers=member.headers).status_code == 204
    item = item_of(client, moderator, "question", question)
    assert item["target"]["status"] == "deleted"
    client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=moderator.headers)
    removed = client.post(f"/v1/moderation/queue/{item['id']}/decisions", json={"action": "remove", "reason": "广告"},
                          headers=moderator.headers)
    assert removed.status_code == 409
    kept = client.post(f"/v1/moderation/queue/{item['id']}/decisions", json={"action": "keep", "reason": "已删除"},
                       headers=moderator.headers)
    assert kept.status_code == 200
    assert "strike" not in [n["kind"] for n in client.get("/v1/me/notifications", headers=member.headers)
                            .json()["items"]]
