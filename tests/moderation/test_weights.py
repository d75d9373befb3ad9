"""Reporter weight: fresh accounts queue a post but do not hide it; established reporters do;
reporters whose reports moderators kept again and again count half."""

from __future__ import annotations

from starlette.testclient import TestClient

from kernel.clock import clock
from tests.conftest import AppFactory, Member, sign_up
from tests.moderation.conftest import ask, decide, item_of, notifications


def report(client: TestClient, reporter: Member, question: str, reason: str = "harassment") -> None:
    r = client.post("/v1/reports", json={"target_type": "question", "target_id": question, "reason": reason,
                                         "detail": "评论区里一直在人身攻击别人"}, headers=reporter.headers)
    assert r.status_code == 201, r.text


def established(client: TestClient, count: int) -> list[Member]:
    """Members who asked something, then a week and a day went by."""
    members = [sign_up(client) for _ in range(count)]
    for m in members:
        ask(client, m, body="<p>请问热玛吉做完多久能看到效果？</p>")
    clock.advance(days=8)
    return members


def test_three_fresh_accounts_queue_a_post_but_do_not_hide_it(make_client: AppFactory) -> None:
    with make_client(reporter_min_age_days=7) as client:
        author = sign_up(client)
        moderator = sign_up(client, role="moderator")
        question = ask(client, author, body="<p>做完鼻综合三个月，鼻头还是有点硬，正常吗？</p>")
        for reporter in [sign_up(client) for _ in range(3)]:
            report(client, reporter, question)
        # Everyone still reads it; the author was not told it is hidden.
        assert client.get(f"/v1/questions/{question}").status_code == 200
        assert client.get(f"/v1/questions/{question}", headers=sign_up(client).headers).json()["status"] == "published"
        assert "hidden" not in [n["kind"] for n in notifications(client, author)]
        item = item_of(client, moderator, "question", question)
        assert item["report_count"] == 3 and item["hidden"] is False

        # Old enough but never published and no report upheld: still no weight.
        clock.advance(days=8)
        report(client, sign_up(client), question)
        assert client.get(f"/v1/questions/{question}").status_code == 200


def test_established_reporters_hide_a_post(make_client: AppFactory) -> None:
    with make_client(reporter_min_age_days=7) as client:
        author = sign_up(client)
        question = ask(client, author, body="<p>做完鼻综合三个月，鼻头还是有点硬，正常吗？</p>")
        reporters = established(client, 3)
        for reporter in reporters[:2]:
            report(client, reporter, question)
        assert client.get(f"/v1/questions/{question}").status_code == 200
        report(client, reporters[2], question)
        assert client.get(f"/v1/questions/{question}").status_code == 404
        assert client.get(f"/v1/questions/{question}", headers=author.headers).json()["status"] == "hidden"
        assert "hidden" in [n["kind"] for n in notifications(client, author)]


def test_a_reporter_whose_reports_were_kept_again_and_again_counts_half(make_client: AppFactory) -> None:
    with make_client(reporter_min_age_days=7) as client:
        moderator = sign_up(client, role="moderator")
        author = sign_up(client)
        serial, *others = established(client, 4)
        # Three of the serial reporter's reports are found to be nothing.
        for text in ("<p>术后第三天可以洗头吗？</p>", "<p>玻尿酸溶解酶会不会过敏？</p>", "<p>水光针一个月打几次？</p>"):
            fine = ask(client, author, body=text)
            report(client, serial, fine, reason="spam")
            decide(client, moderator, item_of(client, moderator, "question", fine)["id"], "keep", "内容正常")

        question = ask(client, author, body="<p>做完鼻综合三个月，鼻头还是有点硬，正常吗？</p>")
        report(client, serial, question)
        report(client, others[0], question)
        report(client, others[1], question)
        # ½ + 1 + 1 < 3: queued, still up.
        assert client.get(f"/v1/questions/{question}").status_code == 200
        report(client, others[2], question)
        assert client.get(f"/v1/questions/{question}").status_code == 404


def test_with_the_setting_at_zero_every_reporter_counts(make_client: AppFactory) -> None:
    with make_client(reporter_min_age_days=0) as client:
        question = ask(client, sign_up(client), body="<p>做完鼻综合三个月，鼻头还是有点硬，正常吗？</p>")
        for reporter in [sign_up(client) for _ in range(3)]:
            report(client, reporter, question)
        assert client.get(f"/v1/questions/{question}").status_code == 404
