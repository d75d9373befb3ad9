"""Moderators' own tools: acting without a report, notes on items, timed and permanent suspensions,
choosing the targets of a notice, and a queue filtered and shown with history and strikes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.testclient import TestClient

from kernel.clock import clock, now
from tests.conftest import Member, sign_up
from tests.moderation.conftest import ask, decide, file_notice, item_of, notifications
from tests.moderation.test_accounts import can_post


def act(client: TestClient, moderator: Member, target_type: str, target_id: str, action: str,
        reason: str = "spam", note: str = "同一段广告在多个问题下重复发布") -> Any:
    return client.post("/v1/moderation/actions", json={"target_type": target_type, "target_id": target_id,
                                                       "action": action, "reason": reason, "note": note},
                       headers=moderator.headers)


def log_actions(client: TestClient, moderator: Member, target_type: str, target_id: str) -> list[str]:
    r = client.get(f"/v1/moderation/log?target_type={target_type}&target_id={target_id}&limit=100",
                   headers=moderator.headers)
    assert r.status_code == 200, r.text
    return [e["action"] for e in r.json()["items"]]


def test_a_moderator_removes_and_restores_without_a_report(client: TestClient, member: Member,
                                                           moderator: Member) -> None:
    question = ask(client, member, body="<p>加微信领取优惠价，私信我了解详情。</p>")
    stranger = sign_up(client)
    assert act(client, stranger, "question", question, "remove").status_code == 403
    assert client.get(f"/v1/questions/{question}", headers=stranger.headers).status_code == 200

    r = act(client, moderator, "question", question, "remove")
    assert r.status_code == 200, r.text
    assert r.json()["target"]["status"] == "removed"
    # A policy removal: 410 with the reason to the public, the post to its author and moderators.
    gone = client.get(f"/v1/questions/{question}", headers=stranger.headers)
    assert gone.status_code == 410 and gone.json()["reason"] == "spam"
    assert client.get(f"/v1/questions/{question}").status_code == 410
    assert client.get(f"/v1/questions/{question}", headers=member.headers).json()["status"] == "removed"
    assert client.get(f"/v1/questions/{question}", headers=moderator.headers).status_code == 200
    told = [n for n in notifications(client, member) if n["kind"] == "removed"]
    assert told and told[0]["payload"]["reason"] == "spam"
    assert "strike" in [n["kind"] for n in notifications(client, member)]
    assert {"decision_remove", "removed"} <= set(log_actions(client, moderator, "question", question))

    # Twice: 409; a restore brings it back for everyone and lifts the strike.
    assert act(client, moderator, "question", question, "remove").status_code == 409
    assert act(client, moderator, "question", question, "restore", note="误判，已恢复").status_code == 200
    assert client.get(f"/v1/questions/{question}", headers=stranger.headers).status_code == 200
    assert "strike_lifted" in log_actions(client, moderator, "account", member.id)


def test_a_moderator_hides_a_post_pending_a_decision(client: TestClient, member: Member, moderator: Member) -> None:
    question = ask(client, member)
    assert act(client, moderator, "question", question, "hide", reason="misinformation").status_code == 200
    assert client.get(f"/v1/questions/{question}", headers=sign_up(client).headers).status_code == 404
    assert client.get(f"/v1/questions/{question}", headers=member.headers).json()["status"] == "hidden"
    assert act(client, moderator, "question", question, "hide").status_code == 409
    assert "hidden" in log_actions(client, moderator, "question", question)


def test_direct_actions_are_checked(client: TestClient, member: Member, moderator: Member) -> None:
    question = ask(client, member)
    bad = act(client, moderator, "question", question, "delete")
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["action"]
    assert act(client, moderator, "question", "999999", "remove").status_code == 404
    account = act(client, moderator, "account", member.id, "hide")
    assert account.status_code == 422 and account.json()["errors"][0]["field"] == "action"
    other_moderator = sign_up(client, role="moderator")
    assert act(client, moderator, "account", other_moderator.id, "remove").status_code == 403
    # A post removed on a legal notice is the case's to restore.
    case_id, _ = file_notice(client, [{"type": "question", "id": question}])
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "remove", "侵权成立")
    held = act(client, moderator, "question", question, "restore")
    assert held.status_code == 409 and case_id in held.json()["detail"]


def test_a_direct_removal_settles_the_pending_reports(client: TestClient, member: Member, moderator: Member) -> None:
    question = ask(client, member)
    reporter = sign_up(client)
    r = client.post("/v1/reports", json={"target_type": "question", "target_id": question, "reason": "advertising"},
                    headers=reporter.headers)
    assert r.status_code == 201
    assert act(client, moderator, "question", question, "remove", reason="advertising").status_code == 200
    items = client.get("/v1/moderation/queue?limit=100", headers=moderator.headers).json()["items"]
    assert not [i for i in items if i["target"]["id"] == question and i["target"]["type"] == "question"]
    outcome = [n for n in notifications(client, reporter) if n["kind"] == "report_outcome"]
    assert outcome and outcome[0]["payload"]["outcome"] == "removed"


def test_notes_on_a_queue_item_are_for_moderators(client: TestClient, member: Member, moderator: Member) -> None:
    question = ask(client, member)
    client.post("/v1/reports", json={"target_type": "question", "target_id": question, "reason": "spam"},
                headers=sign_up(client).headers)
    item_id = item_of(client, moderator, "question", question)["id"]
    r = client.post(f"/v1/moderation/queue/{item_id}/notes", json={"body": "作者上周也发过类似的内容，先观察"},
                    headers=moderator.headers)
    assert r.status_code == 201, r.text
    second = sign_up(client, role="moderator")
    shown = client.get(f"/v1/moderation/queue/{item_id}", headers=second.headers).json()
    assert [n["body"] for n in shown["notes"]] == ["作者上周也发过类似的内容，先观察"]
    assert shown["notes"][0]["author_id"] == moderator.id
    assert item_of(client, second, "question", question)["notes"][0]["body"].startswith("作者上周")
    assert client.post(f"/v1/moderation/queue/{item_id}/notes", json={"body": "我也看看"},
                       headers=member.headers).status_code == 403
    empty = client.post(f"/v1/moderation/queue/{item_id}/notes", json={"body": ""}, headers=moderator.headers)
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "body"
    assert client.post("/v1/moderation/queue/999999/notes", json={"body": "不存在"},
                       headers=moderator.headers).status_code == 404
    # Nothing of it reaches the author.
    assert "作者上周" not in str(notifications(client, member))


def test_a_timed_suspension_lifts_itself(client: TestClient, member: Member, moderator: Member) -> None:
    from tests.moderation.conftest import tick

    until = (now() + timedelta(days=3)).isoformat()
    r = client.post(f"/v1/moderation/accounts/{member.id}/suspension", json={"until": until, "reason": "连续刷屏"},
                    headers=moderator.headers)
    assert r.status_code == 201, r.text
    assert r.json()["permanent"] is False
    assert can_post(client, member) == 403
    assert client.get("/v1/questions", headers=member.headers).status_code == 200
    suspended = [n for n in notifications(client, member) if n["kind"] == "suspended"]
    assert suspended and suspended[0]["payload"]["reason"] == "连续刷屏"

    assert tick(client)["suspensions_ended"] == 0
    clock.advance(days=4)
    assert tick(client)["suspensions_ended"] == 1
    assert tick(client)["suspensions_ended"] == 0
    assert can_post(client, member) == 201
    assert "reinstated" in [n["kind"] for n in notifications(client, member)]
    assert {"suspended", "suspension_ended"} <= set(log_actions(client, moderator, "account", member.id))


def test_a_permanent_suspension_stays(client: TestClient, member: Member, moderator: Member) -> None:
    from tests.moderation.conftest import tick

    r = client.post(f"/v1/moderation/accounts/{member.id}/suspension", json={"reason": "多次发布违法广告"},
                    headers=moderator.headers)
    assert r.status_code == 201 and r.json()["until"] is None
    clock.advance(days=60)
    assert tick(client)["suspensions_ended"] == 0
    assert can_post(client, member) == 403


def test_suspensions_are_checked(client: TestClient, member: Member, moderator: Member) -> None:
    past = (now() - timedelta(days=1)).isoformat()
    r = client.post(f"/v1/moderation/accounts/{member.id}/suspension", json={"until": past, "reason": "刷屏"},
                    headers=moderator.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "until"
    naive = client.post(f"/v1/moderation/accounts/{member.id}/suspension",
                        json={"until": "2030-01-01T00:00:00", "reason": "刷屏"}, headers=moderator.headers)
    assert naive.status_code == 422 and naive.json()["errors"][0]["field"] == "until"
    staff = sign_up(client, role="moderator")
    assert client.post(f"/v1/moderation/accounts/{staff.id}/suspension", json={"reason": "刷屏"},
                       headers=moderator.headers).status_code == 403
    assert client.post("/v1/moderation/accounts/999999/suspension", json={"reason": "刷屏"},
                       headers=moderator.headers).status_code == 404
    assert client.post(f"/v1/moderation/accounts/{moderator.id}/suspension", json={"reason": "刷屏"},
                       headers=member.headers).status_code == 403
    assert can_post(client, member) == 201


def test_a_decision_on_a_notice_removes_only_the_targets_it_names(client: TestClient, member: Member,
                                                                  moderator: Member) -> None:
    infringing = ask(client, member, body="<p>分享一下我的术后恢复对比照。</p>")
    other = ask(client, sign_up(client), body="<p>我的术后第十天照片，消肿了不少。</p>")
    file_notice(client, [{"type": "question", "id": infringing}, {"type": "question", "id": other}])
    item_id = item_of(client, moderator, "question", infringing)["id"]
    assert client.post(f"/v1/moderation/queue/{item_id}/claim", headers=moderator.headers).status_code == 200
    wrong = client.post(f"/v1/moderation/queue/{item_id}/decisions",
                        json={"action": "remove", "reason": "部分侵权",
                              "targets": [{"type": "question", "id": "999999"}]},
                        headers=moderator.headers)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "targets.0"
    r = client.post(f"/v1/moderation/queue/{item_id}/decisions",
                    json={"action": "remove", "reason": "仅第一篇使用了投诉人的照片",
                          "targets": [{"type": "question", "id": infringing}]}, headers=moderator.headers)
    assert r.status_code == 200, r.text
    reader = sign_up(client)
    assert client.get(f"/v1/questions/{infringing}", headers=reader.headers).status_code == 451
    assert client.get(f"/v1/questions/{other}", headers=reader.headers).status_code == 200


def test_the_queue_filters_and_shows_history_and_strikes(client: TestClient, member: Member,
                                                         moderator: Member) -> None:
    earlier = ask(client, member, body="<p>加微信领取优惠价。</p>")
    reporter = sign_up(client)

    def report(target_type: str, target_id: str, reason: str) -> None:
        r = client.post("/v1/reports", json={"target_type": target_type, "target_id": target_id, "reason": reason},
                        headers=reporter.headers)
        assert r.status_code == 201, r.text

    report("question", earlier, "advertising")
    decide(client, moderator, item_of(client, moderator, "question", earlier)["id"], "remove", "广告")
    question = ask(client, member, body="<p>请问哪家医院做双眼皮比较好？</p>")
    report("question", question, "spam")
    answer_author = sign_up(client)
    r = client.post(f"/v1/questions/{question}/answers", json={"body": "<p>建议多看几家再决定。</p>",
                                                               "anonymous": False}, headers=answer_author.headers)
    report("answer", r.json()["id"], "harassment")

    def listed(query: str) -> list[dict[str, Any]]:
        r = client.get(f"/v1/moderation/queue?limit=100&{query}", headers=moderator.headers)
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()["items"]
        return items

    assert {i["target"]["type"] for i in listed("target_type=answer")} == {"answer"}
    assert [i["target"]["id"] for i in listed("reason=spam")] == [question]
    assert listed("reason=harassment&target_type=question") == []
    assert client.get("/v1/moderation/queue?reason=ugly", headers=moderator.headers).status_code == 422

    [item] = listed("target_type=question")
    assert item["active_strikes"] == 1
    assert item["author_strikes"][0]["target"] == {"type": "question", "id": earlier}
    # A second report round on the same target shows the first decision as history.
    kept = decide(client, moderator, item["id"], "keep", "正常提问")
    report_again = sign_up(client)
    assert client.post("/v1/reports", json={"target_type": "question", "target_id": question, "reason": "other"},
                       headers=report_again.headers).status_code == 201
    [again] = listed("target_type=question")
    assert [h["item_id"] for h in again["history"]] == [kept["id"]]
    assert again["history"][0]["decision"] == "keep"


def test_a_kept_queue_page_shows_each_change_at_once_and_logs_every_reveal(
        client: TestClient, member: Member, moderator: Member) -> None:
    named = ask(client, member, body="<p>请问哪家医院做双眼皮比较好？</p>")
    hidden_author = ask(client, member, anonymous=True, body="<p>匿名问一下，隆鼻后鼻子发红正常吗？</p>")
    for target in (named, hidden_author):
        assert client.post("/v1/reports", json={"target_type": "question", "target_id": target, "reason": "spam"},
                           headers=sign_up(client).headers).status_code == 201

    def shown(question: str) -> dict[str, Any]:
        return item_of(client, moderator, "question", question)

    assert shown(named)["report_count"] == 1
    assert client.post("/v1/reports", json={"target_type": "question", "target_id": named, "reason": "other"},
                       headers=sign_up(client).headers).status_code == 201
    assert shown(named)["report_count"] == 2
    client.post(f"/v1/moderation/queue/{shown(named)['id']}/notes", json={"body": "先观察"}, headers=moderator.headers)
    assert [n["body"] for n in shown(named)["notes"]] == ["先观察"]

    # Each reading that shows the anonymous author is logged, page after page.
    before = log_actions(client, moderator, "question", hidden_author).count("author_revealed")
    shown(hidden_author)
    shown(hidden_author)
    assert log_actions(client, moderator, "question", hidden_author).count("author_revealed") == before + 2


def test_the_queue_groups_by_kind_or_target_type_most_urgent_first_and_pages_through(
        client: TestClient, member: Member, moderator: Member) -> None:
    questions = [ask(client, member, body=f"<p>双眼皮第{n}天还肿，正常吗？</p>") for n in range(3)]
    answers = [client.post(f"/v1/questions/{questions[0]}/answers", json={"body": f"<p>第{n}条回答：正常的。</p>",
                                                                          "anonymous": False},
                           headers=sign_up(client).headers).json()["id"] for n in range(2)]
    reporter = sign_up(client)
    for target_type, target_id in [("question", q) for q in questions] + [("answer", a) for a in answers]:
        assert client.post("/v1/reports", json={"target_type": target_type, "target_id": target_id,
                                                "reason": "spam"}, headers=reporter.headers).status_code == 201
        clock.advance(minutes=5)  # each report's item falls due a little later

    def walk(sort: str) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        cursor = ""
        while True:
            r = client.get(f"/v1/moderation/queue?limit=2&sort={sort}{cursor}", headers=moderator.headers)
            assert r.status_code == 200, r.text
            seen += r.json()["items"]
            if not r.json()["next_cursor"]:
                return seen
            cursor = f"&cursor={r.json()['next_cursor']}"

    grouped = walk("target_type")
    assert [i["target"]["type"] for i in grouped] == ["answer"] * 2 + ["question"] * 3
    assert [i["target"]["id"] for i in grouped] == answers + questions  # most urgent first within each
    by_kind = walk("kind")
    assert len(by_kind) == 5 and {i["kind"] for i in by_kind} == {"report"}
    assert client.get("/v1/moderation/queue?sort=reason", headers=moderator.headers).status_code == 422
