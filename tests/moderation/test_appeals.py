"""Appeals (申诉): the author of a post hidden or removed for a non-legal reason, or a suspended
member, asks once per decision; another moderator upholds or overturns it."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.conftest import Member, sign_up
from tests.moderation.conftest import ask, decide, file_notice, item_of, notifications
from tests.moderation.test_accounts import can_post
from tests.moderation.test_tools import act

STATEMENT = "我发的是自己的真实术后经历，没有留任何联系方式，不是广告，请重新审核。"


def appeal(client: TestClient, member: Member, target_type: str, target_id: str,
           statement: str = STATEMENT) -> Any:
    return client.post("/v1/appeals", json={"target_type": target_type, "target_id": target_id,
                                            "statement": statement}, headers=member.headers)


def appeal_item(client: TestClient, moderator: Member, target_type: str, target_id: str) -> dict[str, Any]:
    r = client.get("/v1/moderation/queue?kind=appeal&limit=100", headers=moderator.headers)
    assert r.status_code == 200, r.text
    found = [i for i in r.json()["items"] if i["target"]["type"] == target_type and i["target"]["id"] == target_id]
    assert len(found) == 1, found
    item: dict[str, Any] = found[0]
    return item


def test_an_overturned_appeal_restores_the_post_and_lifts_the_strike(client: TestClient, member: Member,
                                                                      moderator: Member) -> None:
    question = ask(client, member, anonymous=True, body="<p>术后第五天，分享一下冷敷的经验。</p>")
    assert act(client, moderator, "question", question, "remove", reason="advertising").status_code == 200
    stranger = sign_up(client)

    # Only the author appeals; to anyone else the post is simply not theirs (404, nothing revealed).
    assert appeal(client, stranger, "question", question).status_code == 404
    r = appeal(client, member, "question", question)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending" and r.json()["due_at"]
    again = appeal(client, member, "question", question)
    assert again.status_code == 409

    item = appeal_item(client, moderator, "question", question)
    assert item["kind"] == "appeal"
    assert item["appeal"]["statement"] == STATEMENT
    assert item["active_strikes"] == 1

    # The moderator who removed it does not decide the appeal.
    assert client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=moderator.headers).status_code == 200
    own = client.post(f"/v1/moderation/queue/{item['id']}/decisions",
                      json={"action": "overturn", "reason": "我来复核"}, headers=moderator.headers)
    assert own.status_code == 409
    assert client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=stranger.headers).status_code == 403

    second = sign_up(client, role="moderator")
    claimed_by_first = client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=second.headers)
    assert claimed_by_first.status_code == 409  # the first moderator still holds it
    client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=moderator.headers)
    # A report item action is not an appeal's.
    wrong = client.post(f"/v1/moderation/queue/{item['id']}/decisions", json={"action": "keep", "reason": "?"},
                        headers=moderator.headers)
    assert wrong.status_code == 409

    from kernel.clock import clock
    clock.advance(minutes=16)  # the first claim lapses
    decided = decide(client, second, item["id"], "overturn", "内容为个人经历，并非广告")
    assert decided["status"] == "resolved" and decided["decision"] == "overturn"

    assert client.get(f"/v1/questions/{question}", headers=stranger.headers).status_code == 200
    assert client.get(f"/v1/questions/{question}").json()["author"] is None  # still anonymous
    outcome = [n for n in notifications(client, member) if n["kind"] == "appeal_decided"]
    assert outcome and outcome[0]["payload"]["outcome"] == "overturned"
    log = client.get(f"/v1/moderation/log?target_type=account&target_id={member.id}", headers=second.headers)
    assert "strike_lifted" in [e["action"] for e in log.json()["items"]]
    log = client.get(f"/v1/moderation/log?target_type=question&target_id={question}", headers=second.headers)
    assert {"appeal_filed", "decision_overturn", "appeal_overturned", "restored"} <= {
        e["action"] for e in log.json()["items"]}


def test_an_upheld_appeal_leaves_the_post_removed(client: TestClient, member: Member, moderator: Member) -> None:
    question = ask(client, member, body="<p>加微信领取优惠价。</p>")
    reporter = sign_up(client)
    client.post("/v1/reports", json={"target_type": "question", "target_id": question, "reason": "advertising"},
                headers=reporter.headers)
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "remove", "广告")
    assert appeal(client, member, "question", question).status_code == 201
    second = sign_up(client, role="moderator")
    decide(client, second, appeal_item(client, second, "question", question)["id"], "uphold", "确认含有联系方式")
    assert client.get(f"/v1/questions/{question}", headers=reporter.headers).status_code == 410
    outcome = [n for n in notifications(client, member) if n["kind"] == "appeal_decided"]
    assert outcome and outcome[0]["payload"]["outcome"] == "upheld"
    # Once per decision: decided or not, the same decision is not appealed again.
    assert appeal(client, member, "question", question).status_code == 409


def test_a_post_hidden_on_reports_is_appealed_to_any_moderator(client: TestClient, member: Member,
                                                                moderator: Member) -> None:
    question = ask(client, member)
    for reporter in [sign_up(client) for _ in range(3)]:
        client.post("/v1/reports", json={"target_type": "question", "target_id": question, "reason": "spam"},
                    headers=reporter.headers)
    assert client.get(f"/v1/questions/{question}").status_code == 404
    assert appeal(client, member, "question", question).status_code == 201
    decide(client, moderator, appeal_item(client, moderator, "question", question)["id"], "overturn", "正常提问")
    assert client.get(f"/v1/questions/{question}").status_code == 200


def test_appeals_are_checked(client: TestClient, member: Member, moderator: Member) -> None:
    question = ask(client, member)
    assert appeal(client, member, "question", question).status_code == 409  # nothing decided against it
    assert appeal(client, member, "question", "999999").status_code == 404
    empty = appeal(client, member, "question", question, statement="")
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "statement"
    assert client.post("/v1/appeals", json={"target_type": "question", "target_id": question,
                                            "statement": STATEMENT}).status_code == 401
    # A removal on a legal notice is answered with a counter-notice.
    case_id, _ = file_notice(client, [{"type": "question", "id": question}])
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "remove", "侵权成立")
    legal = appeal(client, member, "question", question)
    assert legal.status_code == 422
    assert "counter-notice" in legal.json()["detail"]
    assert f"/v1/notices/{case_id}/counter-notices" in legal.json()["errors"][0]["message"]
    # Not suspended: no suspension to appeal; someone else's account: 404.
    assert appeal(client, member, "account", member.id).status_code == 409
    assert appeal(client, member, "account", moderator.id).status_code == 404


def test_a_suspended_member_appeals_the_suspension(client: TestClient, member: Member, moderator: Member) -> None:
    r = client.post(f"/v1/moderation/accounts/{member.id}/suspension", json={"reason": "疑似刷单账号"},
                    headers=moderator.headers)
    assert r.status_code == 201
    assert can_post(client, member) == 403
    r = appeal(client, member, "account", member.id, statement="我是真实用户，只是连续发了几篇日记。")
    assert r.status_code == 201, r.text
    # The appeal is the member's data: in their export, and nobody else's.
    assert "我是真实用户" in client.get("/v1/me/export", headers=member.headers).text
    stranger = sign_up(client)
    assert appeal(client, stranger, "account", member.id).status_code == 404
    item = appeal_item(client, moderator, "account", member.id)
    assert client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=moderator.headers).status_code == 200
    assert client.post(f"/v1/moderation/queue/{item['id']}/decisions", json={"action": "overturn", "reason": "复核"},
                       headers=moderator.headers).status_code == 409
    second = sign_up(client, role="moderator")
    from kernel.clock import clock
    clock.advance(minutes=16)
    decide(client, second, item["id"], "overturn", "核实为真实用户")
    assert can_post(client, member) == 201
    kinds = [n["kind"] for n in notifications(client, member)]
    assert "appeal_decided" in kinds and "reinstated" in kinds


def test_three_strikes_suspension_is_appealed_and_lifted(client: TestClient, member: Member,
                                                         moderator: Member) -> None:
    posts = [ask(client, member, body=f"<p>第{n}次分享术后护理心得。</p>") for n in range(3)]
    for post in posts:
        assert act(client, moderator, "question", post, "remove").status_code == 200
    assert can_post(client, member) == 403
    # The last removal is appealed: overturning it lifts its strike, and the suspension with it.
    assert appeal(client, member, "question", posts[-1]).status_code == 201
    second = sign_up(client, role="moderator")
    decide(client, second, appeal_item(client, second, "question", posts[-1])["id"], "overturn", "误判")
    assert can_post(client, member) == 201
    assert client.get(f"/v1/questions/{posts[0]}", headers=second.headers).json()["status"] == "removed"


def test_the_guide_lists_every_appeal_status() -> None:
    from pathlib import Path

    from moderation.vocabulary import AppealStatus

    text = (Path(__file__).resolve().parents[2] / "moderation" / "README.md").read_text(encoding="utf-8")
    table = text[text.index("| appeal status | reached by |"):].split("\n\n")[0]
    listed = {line.split("`")[1] for line in table.splitlines()[2:]}
    assert listed == {str(s) for s in AppealStatus}
