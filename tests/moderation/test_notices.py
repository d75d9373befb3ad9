"""The legal notice-and-takedown process end to end, over HTTP, with time moved instead of waited."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from kernel.clock import clock
from kernel.settings import RateLimit
from tests.conftest import AppFactory, Member, sign_up, upload
from tests.moderation.conftest import (
    CONTACT_DETAILS,
    answer,
    ask,
    decide,
    evidence,
    file_notice,
    item_of,
    notice_body,
    notifications,
    tick,
)

COUNTER = {"statement": "照片为本人术后自拍，原图及拍摄时间可证明，不存在侵权。", "name": "王悦",
           "phone": "+86 186-0000-1111", "address": "杭州市西湖区文三路100号", "proof_media_ids": [],
           "accurate": True, "signature": "王悦"}


def case(client: TestClient, case_id: str, token: str) -> dict[str, Any]:
    r = client.get(f"/v1/notices/{case_id}", headers={"X-Case-Token": token})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def events(client: TestClient, case_id: str, token: str) -> list[str]:
    return [e["event"] for e in case(client, case_id, token)["timeline"]]


def removed_question(client: TestClient, author: Member, moderator: Member) -> tuple[str, str, str]:
    """A question taken down on a notice: (question_id, case_id, token)."""
    question = ask(client, author)
    case_id, token = file_notice(client, [{"type": "question", "id": question}])
    item = item_of(client, moderator, "question", question)
    assert item["kind"] == "notice" and item["case_id"] == case_id
    decide(client, moderator, item["id"], "remove", "权利人提供了原图，初步证明侵权")
    return question, case_id, token


def test_every_missing_field_is_named(client: TestClient) -> None:
    r = client.post("/v1/notices", json={"notice_type": "copyright", "claimant": {"name": "林晓雯"},
                                         "targets": [], "good_faith": False})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"claimant.email", "claimant.phone", "claimant.address", "work", "targets", "description",
            "good_faith", "accurate", "signature"} <= fields


def test_unknown_targets_are_named(client: TestClient, member: Member) -> None:
    question = ask(client, member)
    r = client.post("/v1/notices", json=notice_body([
        {"type": "question", "id": question},
        {"type": "question", "id": "987654"},
        {"url": "http://127.0.0.1:8000/v1/diaries/424242"},
        {"url": "https://elsewhere.example.com/post/1"},
    ]))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["targets.1", "targets.2.url", "targets.3.url"]
    bad_email = client.post("/v1/notices", json=notice_body([{"type": "question", "id": question}],
                                                            claimant={**notice_body([])["claimant"], "email": "no"}))
    assert [e["field"] for e in bad_email.json()["errors"]] == ["claimant.email"]


def test_a_url_names_a_target_on_our_hosts_only(make_client: AppFactory) -> None:
    with make_client(public_url="https://api.meiji.example.cn",
                     share_hosts=("m.meiji.example.cn", "share.meiji.example.cn")) as client:
        member, moderator = sign_up(client), sign_up(client, role="moderator")
        question = ask(client, member)
        for url in (f"https://m.meiji.example.cn/questions/{question}",
                    f"https://api.meiji.example.cn/v1/questions/{question}",
                    f"http://share.meiji.example.cn/questions/{question}?from=wechat"):
            case_id, token = file_notice(client, [{"url": url}])
            assert case(client, case_id, token)["targets"] == [{"type": "question", "id": question, "measures": None}]
        assert item_of(client, moderator, "question", question)["case_id"]

        # The same path on any other origin is someone else's page, not our question.
        foreign = [f"https://evil.example.com/questions/{question}",
                   f"https://m.meiji.example.cn.evil.example.com/questions/{question}",
                   f"https://m.meiji.example.cn@evil.example.com/questions/{question}",
                   f"https://api.meiji.example.cn:8443/v1/questions/{question}",
                   f"http://api.meiji.example.cn/v1/questions/{question}",
                   f"ftp://m.meiji.example.cn/questions/{question}",
                   f"/v1/questions/{question}"]
        r = client.post("/v1/notices", json=notice_body([{"type": "question", "id": question},
                                                         *({"url": u} for u in foreign)]))
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == [f"targets.{i + 1}.url" for i in range(len(foreign))]
        assert r.headers["content-type"] == "application/problem+json"


def test_the_case_is_private_to_its_token(client: TestClient, member: Member, moderator: Member) -> None:
    question = ask(client, member)
    case_id, token = file_notice(client, [{"type": "question", "id": question}])
    assert client.get(f"/v1/notices/{case_id}").status_code == 404
    assert client.get(f"/v1/notices/{case_id}", headers={"X-Case-Token": "guess"}).status_code == 404
    assert client.get(f"/v1/notices/{case_id}", headers=member.headers).status_code == 404
    assert client.get("/v1/notices/NOSUCHCASE", headers={"X-Case-Token": token}).status_code == 404
    seen = case(client, case_id, token)
    assert seen["status"] == "received"
    assert seen["timeline"][0]["event"] == "received"
    as_moderator = client.get(f"/v1/notices/{case_id}", headers=moderator.headers).json()
    assert as_moderator["claimant"]["phone"] == "+86 139-1234-5678"
    assert as_moderator["targets"][0]["author_id"] == member.id


def test_remove_then_no_counter_notice_closes_the_case(client: TestClient, member: Member,
                                                       moderator: Member) -> None:
    question, case_id, token = removed_question(client, member, moderator)
    assert case(client, case_id, token)["status"] == "measures_taken"
    gone = client.get(f"/v1/questions/{question}")
    assert gone.status_code == 451
    assert gone.json()["case_id"] == case_id
    assert gone.json()["reason"] == "copyright"

    assert tick(client)["cases_closed"] == 0
    clock.advance(days=16)
    assert tick(client)["cases_closed"] == 1
    assert tick(client)["cases_closed"] == 0  # idempotent
    assert case(client, case_id, token)["status"] == "closed"
    assert client.get(f"/v1/questions/{question}").status_code == 451
    late = client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER, headers=member.headers)
    assert late.status_code == 409


def test_the_deadlines_hold_before_the_scheduler_runs(client: TestClient, member: Member,
                                                      moderator: Member) -> None:
    # No counter-notice after the window the takedown notification gave, closed yet or not.
    question, case_id, token = removed_question(client, member, moderator)
    clock.advance(days=16)
    late = client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER, headers=member.headers)
    assert late.status_code == 409 and "ended" in late.json()["detail"], late.text
    assert case(client, case_id, token)["status"] == "measures_taken"  # the scheduler has not run
    assert tick(client)["cases_closed"] == 1

    # No legal action once the wait after forwarding ended: the post comes back, as the scheduler
    # would have brought it back, and the case is not held.
    question, case_id, token = removed_question(client, member, moderator)
    assert client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER,
                       headers=member.headers).status_code == 201
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "forward_counter",
           "反通知要素齐全")
    clock.advance(days=16)
    r = client.post(f"/v1/notices/{case_id}/legal-action", json={"description": "已起诉", "proof_media_ids": []},
                    headers={"X-Case-Token": token})
    assert r.status_code == 409, r.text
    assert client.get(f"/v1/questions/{question}").status_code == 200
    assert case(client, case_id, token)["status"] == "restored"
    assert tick(client)["cases_restored"] == 0


def test_counter_notice_forwarded_then_restored_after_the_wait(client: TestClient, member: Member,
                                                               moderator: Member) -> None:
    question, case_id, token = removed_question(client, member, moderator)
    stranger = sign_up(client)
    assert client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER,
                       headers=stranger.headers).status_code == 404
    r = client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER, headers=member.headers)
    assert r.status_code == 201
    assert case(client, case_id, token)["status"] == "counter_received"
    assert case(client, case_id, token)["counter_notices"] == []  # not yet checked and forwarded

    item = item_of(client, moderator, "question", question)
    assert item["kind"] == "counter_notice"
    decide(client, moderator, item["id"], "forward_counter", "反通知要素齐全")
    seen = case(client, case_id, token)
    assert seen["status"] == "counter_forwarded"
    [forwarded] = seen["counter_notices"]
    assert forwarded["name"] == "王悦" and forwarded["phone"] == "+86 186-0000-1111"
    assert "counter_forwarded" in [n["kind"] for n in notifications(client, member)]

    clock.advance(days=14)
    assert tick(client)["cases_restored"] == 0
    assert client.get(f"/v1/questions/{question}").status_code == 451
    clock.advance(days=2)
    assert tick(client)["cases_restored"] == 1
    assert tick(client)["cases_restored"] == 0
    assert client.get(f"/v1/questions/{question}").status_code == 200
    assert case(client, case_id, token)["status"] == "restored"
    assert "restored" in [n["kind"] for n in notifications(client, member)]
    # The counter-notice stays with the claimant, never with the public.
    assert "186-0000-1111" not in client.get(f"/v1/questions/{question}").text


def test_legal_action_holds_the_case(client: TestClient, member: Member, moderator: Member) -> None:
    question, case_id, token = removed_question(client, member, moderator)
    early = client.post(f"/v1/notices/{case_id}/legal-action", json={"description": "已起诉"},
                        headers={"X-Case-Token": token})
    assert early.status_code == 409
    client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER, headers=member.headers)
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "forward_counter")

    proof = evidence(client)
    r = client.post(f"/v1/notices/{case_id}/legal-action",
                    json={"description": "已向上海市徐汇区人民法院提起诉讼，案号（2026）沪0104民初1234号",
                          "proof_media_ids": [proof]}, headers={"X-Case-Token": token})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "litigation_hold"
    assert client.post(f"/v1/notices/{case_id}/legal-action", json={"description": "再次提交"},
                       headers={"X-Case-Token": "wrong"}).status_code == 404

    clock.advance(days=20)  # well past the wait (and within a session's idle limit)
    assert tick(client)["cases_restored"] == 0
    assert client.get(f"/v1/questions/{question}").status_code == 451
    assert "litigation_hold" in [n["kind"] for n in notifications(client, member)]
    # The evidence of the legal action opens with the case token only.
    assert client.get(f"/v1/media/{proof}").status_code == 404
    assert client.get(f"/v1/media/{proof}", headers={"X-Case-Token": token}).status_code == 200


def test_incomplete_notice_supplemented_then_removed(client: TestClient, member: Member,
                                                     moderator: Member) -> None:
    question = ask(client, member)
    case_id, token = file_notice(client, [{"type": "question", "id": question}])
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "request_info",
           "请补充原图的拍摄时间与权属证明")
    seen = case(client, case_id, token)
    assert seen["status"] == "incomplete"
    assert seen["timeline"][-1] == {"event": "info_requested", "at": seen["timeline"][-1]["at"],
                                    "note": "请补充原图的拍摄时间与权属证明"}
    assert client.get(f"/v1/questions/{question}").status_code == 200

    proof = evidence(client)
    r = client.post(f"/v1/notices/{case_id}/supplements",
                    json={"description": "附上原图EXIF截图与著作权登记证书", "proof_media_ids": [proof]},
                    headers={"X-Case-Token": token})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "received"
    again = client.post(f"/v1/notices/{case_id}/supplements", json={"description": "再补充"},
                        headers={"X-Case-Token": token})
    assert again.status_code == 409

    item = item_of(client, moderator, "question", question)
    assert item["kind"] == "notice"
    decide(client, moderator, item["id"], "remove", "补充材料足以证明权属")
    assert client.get(f"/v1/questions/{question}").status_code == 451
    assert events(client, case_id, token) == ["received", "info_requested", "supplemented", "measures_taken"]


def test_rejected_notice_leaves_the_content_up(client: TestClient, member: Member, moderator: Member) -> None:
    question = ask(client, member)
    case_id, token = file_notice(client, [{"type": "question", "id": question}], notice_type="reputation")
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "reject_notice",
           "所涉内容为正常的消费评价")
    assert case(client, case_id, token)["status"] == "rejected"
    assert client.get(f"/v1/questions/{question}").status_code == 200
    assert client.post(f"/v1/notices/{case_id}/supplements", json={"description": "补充"},
                       headers={"X-Case-Token": token}).status_code == 409
    assert notifications(client, member) == []


def test_withdrawal_restores_removed_content(client: TestClient, member: Member, moderator: Member) -> None:
    question, case_id, token = removed_question(client, member, moderator)
    r = client.post(f"/v1/notices/{case_id}/withdrawal", json={"reason": "已与作者协商解决"},
                    headers={"X-Case-Token": token})
    assert r.status_code == 200
    assert r.json()["status"] == "withdrawn"
    assert client.get(f"/v1/questions/{question}").status_code == 200
    assert client.post(f"/v1/notices/{case_id}/withdrawal", json={},
                       headers={"X-Case-Token": token}).status_code == 409


def test_claimant_contact_details_never_reach_the_author(client: TestClient, member: Member,
                                                         moderator: Member) -> None:
    question, case_id, _token = removed_question(client, member, moderator)
    [takedown] = [n for n in notifications(client, member) if n["kind"] == "takedown"]
    forwarded = takedown["payload"]["notice"]
    assert forwarded["claimant"] == {"name": "林晓雯", "organization": "晓雯摄影工作室"}
    assert forwarded["description"] == "该帖未经许可使用了本人拍摄的照片，请删除。"
    assert takedown["payload"]["case_id"] == case_id

    seen_by_author = [
        client.get("/v1/me/notifications", headers=member.headers),
        client.get(f"/v1/questions/{question}", headers=member.headers),
        client.get(f"/v1/notices/{case_id}", headers=member.headers),
        client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER, headers=member.headers),
        client.get("/v1/me", headers=member.headers),
    ]
    for response in seen_by_author:
        for detail in CONTACT_DETAILS:
            assert detail not in response.text, response.request.url


def test_evidence_opens_with_the_case_token(client: TestClient, member: Member) -> None:
    question = ask(client, member)
    proof = evidence(client)
    _case_id, token = file_notice(client, [{"type": "question", "id": question}],
                                 work={"description": "原创摄影作品", "proof_media_ids": [proof]})
    assert client.get(f"/v1/media/{proof}").status_code == 404
    assert client.get(f"/v1/media/{proof}", headers=member.headers).status_code == 404
    assert client.get(f"/v1/media/{proof}", headers={"X-Case-Token": token}).status_code == 200
    _other_case, other_token = file_notice(client, [{"type": "question", "id": question}])
    assert client.get(f"/v1/media/{proof}", headers={"X-Case-Token": other_token}).status_code == 404
    reused = client.post("/v1/notices", json=notice_body([{"type": "question", "id": question}],
                                                         work={"description": "再投一次", "proof_media_ids": [proof]}))
    assert reused.status_code == 422
    assert reused.json()["errors"][0]["field"] == "work.proof_media_ids.0"


def test_illegal_transitions_are_409(client: TestClient, member: Member, moderator: Member) -> None:
    question = ask(client, member)
    case_id, token = file_notice(client, [{"type": "question", "id": question}])
    # No counter-notice before measures; no legal action before a counter-notice.
    assert client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER,
                       headers=member.headers).status_code == 404
    assert client.post(f"/v1/notices/{case_id}/legal-action", json={"description": "起诉"},
                       headers={"X-Case-Token": token}).status_code == 409
    item = item_of(client, moderator, "question", question)
    client.post(f"/v1/moderation/queue/{item['id']}/claim", headers=moderator.headers)
    for action in ("keep", "forward_counter", "restore"):
        r = client.post(f"/v1/moderation/queue/{item['id']}/decisions", json={"action": action, "reason": "试"},
                        headers=moderator.headers)
        assert r.status_code == 409, action


def test_a_notice_on_several_targets_removes_them_together(client: TestClient, member: Member,
                                                           moderator: Member) -> None:
    question = ask(client, member)
    other_author = sign_up(client)
    reply = answer(client, other_author, question)
    case_id, token = file_notice(client, [{"type": "question", "id": question}, {"type": "answer", "id": reply}])
    decide(client, moderator, item_of(client, moderator, "answer", reply)["id"], "remove", "两处均使用了原图")
    assert {t["id"]: t["measures"] for t in case(client, case_id, token)["targets"]} == {question: "removed",
                                                                                         reply: "removed"}
    assert client.get(f"/v1/questions/{question}").status_code == 451
    assert "takedown" in [n["kind"] for n in notifications(client, other_author)]
    r = client.get("/v1/moderation/queue?limit=100", headers=moderator.headers)
    assert all(i["case_id"] != case_id for i in r.json()["items"])


def test_a_second_notice_on_the_same_target_gets_its_turn(client: TestClient, member: Member,
                                                          moderator: Member) -> None:
    question = ask(client, member)
    first, first_token = file_notice(client, [{"type": "question", "id": question}])
    second, second_token = file_notice(client, [{"type": "question", "id": question}], notice_type="portrait")
    item = item_of(client, moderator, "question", question)
    assert item["case_id"] == first
    decide(client, moderator, item["id"], "remove", "侵权成立")

    item = item_of(client, moderator, "question", question)
    assert (item["kind"], item["case_id"]) == ("notice", second)
    decide(client, moderator, item["id"], "remove", "肖像权同样成立")
    assert case(client, second, second_token)["status"] == "measures_taken"
    assert [n["kind"] for n in notifications(client, member)].count("strike") == 1  # one post, one strike

    client.post(f"/v1/notices/{first}/withdrawal", json={"reason": "已和解"}, headers={"X-Case-Token": first_token})
    still = client.get(f"/v1/questions/{question}")
    assert still.status_code == 451
    assert still.json()["case_id"] == second


def test_notices_are_rate_limited_per_address_and_replay_by_key(make_client: AppFactory) -> None:
    limits = {"ip": RateLimit(10_000, 60), "token": RateLimit(10_000, 60), "signup": RateLimit(100, 60),
              "login": RateLimit(100, 60), "notice": RateLimit(3, 3600)}
    with make_client(rate_limits=limits) as client:
        question = ask(client, sign_up(client))
        body = notice_body([{"type": "question", "id": question}])
        first = client.post("/v1/notices", json=body, headers={"Idempotency-Key": "notice-2026-001"})
        replay = client.post("/v1/notices", json=body, headers={"Idempotency-Key": "notice-2026-001"})
        assert first.status_code == replay.status_code == 201
        assert first.json()["case_id"] == replay.json()["case_id"]
        assert client.post("/v1/notices", json=body).status_code == 201
        limited = client.post("/v1/notices", json=body)
        assert limited.status_code == 429
        assert "retry-after" in limited.headers


def test_counter_notice_proof_opens_to_the_claimant_once_forwarded(client: TestClient, member: Member,
                                                                   moderator: Member) -> None:
    question, case_id, token = removed_question(client, member, moderator)
    proof = upload(client, member, "evidence")
    r = client.post(f"/v1/notices/{case_id}/counter-notices", json={**COUNTER, "proof_media_ids": [proof]},
                    headers=member.headers)
    assert r.status_code == 201
    assert client.get(f"/v1/media/{proof}", headers={"X-Case-Token": token}).status_code == 404
    assert client.get(f"/v1/media/{proof}", headers=member.headers).status_code == 200
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "forward_counter")
    assert case(client, case_id, token)["counter_notices"][0]["proof_media_ids"] == [proof]
    assert client.get(f"/v1/media/{proof}", headers={"X-Case-Token": token}).status_code == 200
    assert client.get(f"/v1/media/{proof}").status_code == 404
