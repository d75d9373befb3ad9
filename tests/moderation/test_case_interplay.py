"""Cases, reports and moderators' own decisions meeting on the same post: none of them lets another
put back what it did not take down, and no case loses its turn in the queue."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import Member, sign_up
from tests.moderation.conftest import ask, decide, file_notice, item_of

COUNTER = {"statement": "问题是我本人写的，配图是自己拍的，不存在侵权。", "name": "周敏",
           "phone": "+86 186-2222-3333", "address": "成都市武侯区人民南路四段9号", "proof_media_ids": [],
           "accurate": True, "signature": "周敏"}


def withdraw(client: TestClient, case_id: str, token: str) -> None:
    r = client.post(f"/v1/notices/{case_id}/withdrawal", json={"reason": "已与发帖人协商解决"},
                    headers={"X-Case-Token": token})
    assert r.status_code == 200, r.text


def test_a_case_ending_leaves_a_post_moderation_removed_before_it_removed(client: TestClient, member: Member,
                                                                         moderator: Member) -> None:
    question = ask(client, member)
    r = client.post("/v1/moderation/actions", json={"target_type": "question", "target_id": question,
                                                    "action": "remove", "reason": "advertising",
                                                    "note": "正文里留了医院的私人微信号"}, headers=moderator.headers)
    assert r.status_code == 200, r.text
    assert client.get(f"/v1/questions/{question}").status_code == 410

    # A notice names it too and is upheld; then its claimant withdraws.
    case_id, token = file_notice(client, [{"type": "question", "id": question}])
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "remove", "侵权成立")
    withdraw(client, case_id, token)
    assert client.get(f"/v1/questions/{question}").status_code == 410

    # Another notice, upheld, and the author's counter-notice accepted: the case lets go of the post,
    # the policy decision still stands.
    case_id, token = file_notice(client, [{"type": "question", "id": question}], notice_type="portrait")
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "remove", "肖像权成立")
    r = client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER, headers=member.headers)
    assert r.status_code == 201, r.text
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "restore", "作者说明属实")
    assert client.get(f"/v1/questions/{question}").status_code == 410
    # With no case holding it any more, the author may appeal the policy removal.
    r = client.post("/v1/appeals", json={"target_type": "question", "target_id": question,
                                         "statement": "微信号是医院官方公众号，不是私人广告。"}, headers=member.headers)
    assert r.status_code == 201, r.text


def test_a_report_decision_cannot_restore_what_a_case_holds(client: TestClient, member: Member,
                                                            moderator: Member) -> None:
    reporter = sign_up(client)
    held, other, third = ask(client, member), ask(client, member), ask(client, member)
    # Case B names two posts; a member reports the first, and the report joins B's item on it.
    case_b, token_b = file_notice(client, [{"type": "question", "id": held}, {"type": "question", "id": other}])
    r = client.post("/v1/reports", json={"target_type": "question", "target_id": held, "reason": "infringement",
                                         "detail": "配图是盗用别人的"}, headers=reporter.headers)
    assert r.status_code in (201, 202), r.text
    # Case A names it too, and is upheld through its other post's item: the post is down under A.
    case_a, _ = file_notice(client, [{"type": "question", "id": held}, {"type": "question", "id": third}],
                            notice_type="portrait")
    decide(client, moderator, item_of(client, moderator, "question", third)["id"], "remove", "肖像权成立")
    assert client.get(f"/v1/questions/{held}").json()["case_id"] == case_a
    # B is withdrawn: the reported post's item goes back to being a report item.
    withdraw(client, case_b, token_b)
    item = item_of(client, moderator, "question", held)
    assert item["kind"] == "report"
    r = client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=moderator.headers)
    assert r.status_code == 200, r.text
    r = client.post(f"/v1/moderation/queue/{item['id']}/decisions", json={"action": "restore", "reason": "看着没问题"},
                    headers=moderator.headers)
    assert r.status_code == 409 and case_a in r.json()["detail"], r.text
    assert client.get(f"/v1/questions/{held}").status_code == 451


def test_a_case_waiting_behind_a_withdrawn_one_gets_its_turn(client: TestClient, member: Member,
                                                            moderator: Member) -> None:
    question = ask(client, member)
    first, first_token = file_notice(client, [{"type": "question", "id": question}])
    second, _ = file_notice(client, [{"type": "question", "id": question}], notice_type="portrait")
    assert item_of(client, moderator, "question", question)["case_id"] == first
    withdraw(client, first, first_token)
    item = item_of(client, moderator, "question", question)
    assert (item["kind"], item["case_id"]) == ("notice", second)
    decide(client, moderator, item["id"], "remove", "肖像权成立")
    assert client.get(f"/v1/questions/{question}").json()["case_id"] == second


def test_a_case_waiting_behind_one_that_goes_to_court_gets_its_turn(client: TestClient, member: Member,
                                                                   moderator: Member) -> None:
    question = ask(client, member)
    first, first_token = file_notice(client, [{"type": "question", "id": question}])
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "remove", "侵权成立")
    second, _ = file_notice(client, [{"type": "question", "id": question}], notice_type="portrait")
    # The author answers the first case: the post's one live item now carries that counter-notice.
    r = client.post(f"/v1/notices/{first}/counter-notices", json=COUNTER, headers=member.headers)
    assert r.status_code == 201, r.text
    assert item_of(client, moderator, "question", question)["kind"] == "counter_notice"
    court = {"description": "已向法院起诉，案号(2026)沪0104民初1234号", "proof_media_ids": []}
    r = client.post(f"/v1/notices/{first}/legal-action", json=court, headers={"X-Case-Token": first_token})
    assert r.status_code == 200, r.text
    item = item_of(client, moderator, "question", question)
    assert (item["kind"], item["case_id"]) == ("notice", second)


def test_a_notice_whose_posts_are_all_gone_is_closed_not_said_to_be_acted_on(client: TestClient, member: Member,
                                                                            moderator: Member) -> None:
    question = ask(client, member)
    case_id, token = file_notice(client, [{"type": "question", "id": question}])
    assert client.delete(f"/v1/questions/{question}", headers=member.headers).status_code == 204
    item = item_of(client, moderator, "question", question)
    r = client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=moderator.headers)
    assert r.status_code == 200, r.text
    r = client.post(f"/v1/moderation/queue/{item['id']}/decisions", json={"action": "remove", "reason": "侵权成立"},
                    headers=moderator.headers)
    assert r.status_code == 409 and "reject_notice" in r.json()["detail"], r.text
    seen = client.get(f"/v1/notices/{case_id}", headers={"X-Case-Token": token}).json()
    assert seen["status"] == "received" and "measures_taken" not in [e["event"] for e in seen["timeline"]]
    closing = {"action": "reject_notice", "reason": "被投诉内容已由发布者自行删除"}
    r = client.post(f"/v1/moderation/queue/{item['id']}/decisions", json=closing, headers=moderator.headers)
    assert r.status_code == 200, r.text
    seen = client.get(f"/v1/notices/{case_id}", headers={"X-Case-Token": token}).json()
    assert seen["status"] == "rejected"
    assert [e["note"] for e in seen["timeline"] if e["event"] == "rejected"] == ["被投诉内容已由发布者自行删除"]
