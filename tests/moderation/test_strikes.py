"""One strike per upheld case; restorations lift strikes and end the suspensions they caused; each
author of a notice answers for their own posts."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.testclient import TestClient

from kernel.clock import clock
from tests.conftest import Member, sign_up
from tests.moderation.conftest import ask, decide, file_notice, item_of, notifications, tick
from tests.moderation.test_accounts import can_post, take_down
from tests.moderation.test_notices import COUNTER, case

PHOTO_QUESTIONS = ("<p>这是我在工作室拍的术后第三天照片，消肿很快。</p>",
                   "<p>第七天拆线后的对比图，双眼皮褶皱很自然。</p>",
                   "<p>一个月后的恢复照片，朋友都说看不出做过。</p>")


def log(client: TestClient, moderator: Member, **filters: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    r = client.get(f"/v1/moderation/log?limit=100&{query}", headers=moderator.headers)
    assert r.status_code == 200, r.text
    entries: list[dict[str, Any]] = r.json()["items"]
    return entries


def kinds(client: TestClient, member: Member) -> list[str]:
    return [n["kind"] for n in notifications(client, member)]


def test_a_notice_naming_three_posts_of_a_first_time_poster_is_one_strike(
        client: TestClient, member: Member, moderator: Member) -> None:
    questions = [ask(client, member, body=body) for body in PHOTO_QUESTIONS]
    case_id, _ = file_notice(client, [{"type": "question", "id": q} for q in questions])
    decide(client, moderator, item_of(client, moderator, "question", questions[0])["id"], "remove", "三处均为盗图")

    reader = sign_up(client)
    for q in questions:
        assert client.get(f"/v1/questions/{q}", headers=reader.headers).status_code == 451
    assert kinds(client, member).count("takedown") == 3  # told about each post
    assert kinds(client, member).count("strike") == 1  # but struck once for the case
    assert [e["case_id"] for e in log(client, moderator, action="strike", target_id=member.id)] == [case_id]
    assert can_post(client, member) == 201  # a first case never suspends

    take_down(client, member, moderator)
    assert can_post(client, member) == 201
    take_down(client, member, moderator)  # the third upheld case
    assert can_post(client, member) == 403


def test_a_withdrawn_case_lifts_its_strike_and_ends_the_suspension_it_caused(
        client: TestClient, member: Member, moderator: Member) -> None:
    first_case, first_token = take_down(client, member, moderator)
    take_down(client, member, moderator)
    take_down(client, member, moderator)
    assert can_post(client, member) == 403

    r = client.post(f"/v1/notices/{first_case}/withdrawal", json={"reason": "经核实照片为作者本人拍摄，撤回投诉"},
                    headers={"X-Case-Token": first_token})
    assert r.status_code == 200, r.text
    assert can_post(client, member) == 201  # no moderator had to step in
    [reinstated] = [n for n in notifications(client, member) if n["kind"] == "reinstated"]
    assert reinstated["payload"] == {"cause": "strikes_lifted", "active_strikes": 2}
    account_log = [e["action"] for e in log(client, moderator, target_type="account", target_id=member.id)]
    assert account_log[:2] == ["suspension_ended", "strike_lifted"]
    assert [e["case_id"] for e in log(client, moderator, action="strike_lifted")] == [first_case]

    # Two strikes still count: the next upheld case suspends again.
    take_down(client, member, moderator)
    assert can_post(client, member) == 403


def test_the_counter_notice_wait_ending_ends_a_strike_suspension(
        client: TestClient, member: Member, moderator: Member) -> None:
    take_down(client, member, moderator)
    take_down(client, member, moderator)
    case_id, token = take_down(client, member, moderator)
    assert can_post(client, member) == 403
    # A suspended member still files a counter-notice; the wait after forwarding it restores.
    assert client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER,
                       headers=member.headers).status_code == 201
    question = case(client, case_id, token)["targets"][0]["id"]
    decide(client, moderator, item_of(client, moderator, "question", question)["id"], "forward_counter")
    clock.advance(days=16)
    assert tick(client)["cases_restored"] == 1
    assert client.get(f"/v1/questions/{question}").status_code == 200
    assert case(client, case_id, token)["status"] == "restored"
    assert can_post(client, member) == 201
    assert "reinstated" in kinds(client, member)


def test_lifting_strikes_does_not_lift_a_suspension_for_another_cause(
        client: TestClient, member: Member, moderator: Member) -> None:
    take_down(client, member, moderator)
    take_down(client, member, moderator)
    case_id, token = take_down(client, member, moderator)
    reporter = sign_up(client)
    assert client.post("/v1/reports", json={"target_type": "account", "target_id": member.id, "reason": "harassment",
                                            "detail": "这个账号反复私信骚扰别人"},
                       headers=reporter.headers).status_code == 201
    decide(client, moderator, item_of(client, moderator, "account", member.id)["id"], "remove", "骚扰他人")

    client.post(f"/v1/notices/{case_id}/withdrawal", json={"reason": "误投"}, headers={"X-Case-Token": token})
    assert can_post(client, member) == 403  # still removed on reports
    assert "reinstated" not in kinds(client, member)
    assert "suspension_ended" in [e["action"] for e in log(client, moderator, target_id=member.id)]


def test_each_author_of_a_notice_answers_for_their_own_posts(client: TestClient, moderator: Member) -> None:
    first, second, reader = sign_up(client), sign_up(client), sign_up(client)
    mine = ask(client, first, body="<p>我的鼻综合术后第十天照片，恢复得还可以。</p>")
    theirs = ask(client, second, body="<p>隆鼻三个月，分享一下正侧面的对比。</p>")
    case_id, token = file_notice(client, [{"type": "question", "id": mine}, {"type": "question", "id": theirs}])
    decide(client, moderator, item_of(client, moderator, "question", mine)["id"], "remove", "两处均使用了原图")
    assert kinds(client, first).count("strike") == kinds(client, second).count("strike") == 1

    assert client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER,
                       headers=first.headers).status_code == 201
    other_counter = {**COUNTER, "name": "赵敏", "signature": "赵敏", "phone": "+86 137-2222-3333"}
    r = client.post(f"/v1/notices/{case_id}/counter-notices", json=other_counter, headers=second.headers)
    assert r.status_code == 201, r.text  # the second author is heard too
    assert client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER,
                       headers=first.headers).status_code == 409  # once per author
    assert client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER,
                       headers=reader.headers).status_code == 404

    # The first author's counter-notice goes to the claimant; the second's is upheld at once.
    decide(client, moderator, item_of(client, moderator, "question", mine)["id"], "forward_counter", "要素齐全")
    decide(client, moderator, item_of(client, moderator, "question", theirs)["id"], "restore", "有原图为证")
    assert client.get(f"/v1/questions/{theirs}", headers=reader.headers).status_code == 200
    assert client.get(f"/v1/questions/{mine}", headers=reader.headers).status_code == 451  # not theirs to restore
    assert kinds(client, second).count("restored") == 1 and "restored" not in kinds(client, first)
    assert kinds(client, second).count("counter_forwarded") == 0

    seen = case(client, case_id, token)
    assert seen["status"] == "counter_forwarded"
    assert {t["id"]: t["measures"] for t in seen["targets"]} == {mine: "removed", theirs: None}
    assert [c["name"] for c in seen["counter_notices"]] == ["王悦"]  # only the forwarded one
    steps = [(e["event"], [t["id"] for t in e.get("targets", [])]) for e in seen["timeline"]]
    # Counter-notices received name no post to the claimant (one step each); what follows does.
    assert steps == [("received", []), ("measures_taken", []), ("counter_received", []),
                     ("counter_received", []), ("counter_forwarded", [mine]), ("restored", [theirs])]
    assert [e["case_id"] for e in log(client, moderator, action="strike_lifted", target_id=second.id)] == [case_id]
    assert log(client, moderator, action="strike_lifted", target_id=first.id) == []

    clock.advance(days=16)
    assert tick(client)["cases_restored"] == 1
    assert client.get(f"/v1/questions/{mine}", headers=reader.headers).status_code == 200
    seen = case(client, case_id, token)
    assert seen["status"] == "restored"
    assert seen["timeline"][-1]["event"] == "restored" and seen["timeline"][-1]["targets"] == [
        {"type": "question", "id": mine}]


def test_an_author_who_stays_silent_keeps_the_case_closing_on_time(client: TestClient, moderator: Member) -> None:
    first, second = sign_up(client), sign_up(client)
    mine = ask(client, first, body="<p>热玛吉做完一周，皮肤紧致了不少。</p>")
    theirs = ask(client, second, body="<p>热玛吉的术后护理经验分享。</p>")
    case_id, token = file_notice(client, [{"type": "question", "id": mine}, {"type": "question", "id": theirs}])
    decide(client, moderator, item_of(client, moderator, "question", mine)["id"], "remove", "侵权成立")
    client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER, headers=first.headers)
    decide(client, moderator, item_of(client, moderator, "question", mine)["id"], "restore", "反通知证据充分")

    assert client.get(f"/v1/questions/{mine}").status_code == 200
    assert case(client, case_id, token)["status"] == "measures_taken"  # the other post stays down
    assert client.get(f"/v1/questions/{theirs}").status_code == 451
    clock.advance(days=16)
    assert tick(client)["cases_closed"] == 1
    assert case(client, case_id, token)["status"] == "closed"
    assert client.get(f"/v1/questions/{theirs}").status_code == 451


async def _two_ticks(state: Any) -> list[dict[str, int]]:
    import moderation.services

    return list(await asyncio.gather(moderation.services.tick(state), moderation.services.tick(state)))


def test_two_schedulers_restore_each_author_once(db_client: TestClient) -> None:
    moderator, first, second = sign_up(db_client, role="moderator"), sign_up(db_client), sign_up(db_client)
    mine = ask(db_client, first, body="<p>下颌角术后一个月，分享恢复过程。</p>")
    theirs = ask(db_client, second, body="<p>下颌角手术前后的正面对比。</p>")
    case_id, token = file_notice(db_client, [{"type": "question", "id": mine}, {"type": "question", "id": theirs}])
    decide(db_client, moderator, item_of(db_client, moderator, "question", mine)["id"], "remove", "侵权成立")
    for author, target in ((first, mine), (second, theirs)):
        assert db_client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER,
                              headers=author.headers).status_code == 201
        decide(db_client, moderator, item_of(db_client, moderator, "question", target)["id"], "forward_counter")
    clock.advance(days=16)
    portal = db_client.portal
    assert portal is not None
    results = portal.call(_two_ticks, db_client.app.state.services)  # type: ignore[attr-defined]
    assert sum(r["cases_restored"] for r in results) == 2  # one per counter-notice, whoever ran it
    for author, target in ((first, mine), (second, theirs)):
        assert db_client.get(f"/v1/questions/{target}").status_code == 200
        assert kinds(db_client, author).count("restored") == 1
        assert len(log(db_client, moderator, action="strike_lifted", target_id=author.id)) == 1
    assert case(db_client, case_id, token)["status"] == "restored"


def test_the_timeline_never_lists_an_anonymous_post_with_a_named_one(
        client: TestClient, member: Member, moderator: Member) -> None:
    named = ask(client, member, body="<p>我的热玛吉体验，实名分享给大家参考。</p>")
    hidden_name = ask(client, member, anonymous=True, body="<p>匿名说一下，热玛吉后脸有点凹陷。</p>")
    case_id, token = file_notice(client, [{"type": "question", "id": named}, {"type": "question", "id": hidden_name}])
    decide(client, moderator, item_of(client, moderator, "question", named)["id"], "remove", "均使用了原图")
    assert client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER,
                       headers=member.headers).status_code == 201
    decide(client, moderator, item_of(client, moderator, "question", named)["id"], "forward_counter", "要素齐全")

    seen = case(client, case_id, token)
    parts = [e for e in seen["timeline"] if "targets" in e]
    assert [len(e["targets"]) for e in parts] == [1, 1]  # one step per post, never grouped
    assert sorted(e["targets"][0]["id"] for e in parts if e["event"] == "counter_forwarded") == sorted(
        [named, hidden_name])
    # The counter-notice itself was one step naming no post: nothing in it ties the two together.
    [received] = [e for e in seen["timeline"] if e["event"] == "counter_received"]
    assert "targets" not in received
    assert all(set(t) == {"type", "id", "measures"} for t in seen["targets"]) and member.handle not in str(seen)
