"""The public record (GET /v1/transparency): per month, what notices, reports and appeals led to,
checked against cases made over HTTP; small counts are shown as "<5" so no case can be singled out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from starlette.testclient import TestClient

from kernel.clock import clock
from tests.conftest import AppFactory, Member, sign_up
from tests.moderation.conftest import ask, decide, file_notice, item_of, tick
from tests.moderation.test_appeals import appeal, appeal_item
from tests.moderation.test_notices import COUNTER
from tests.moderation.test_tools import act

CHINA = timezone(timedelta(hours=8))


def set_time(moment: datetime) -> None:
    clock.offset = moment - datetime.now(UTC)


def record(client: TestClient, query: str) -> dict[str, Any]:
    r = client.get(f"/v1/transparency{query}")  # anyone: no account
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def months(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["month"]: m for m in data["months"]}


def test_the_record_counts_what_the_cases_did_and_hides_small_counts(client: TestClient,
                                                                   moderator: Member) -> None:
    set_time(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA))
    first, second = sign_up(client), sign_up(client)
    mine = ask(client, first, body="<p>自体脂肪填充苹果肌三个月，照片是在医院门口自己拍的。</p>")
    theirs = ask(client, second, body="<p>同一家医院做的脂肪填充，分享一下恢复期的注意事项。</p>")
    case_a, token_a = file_notice(client, [{"type": "question", "id": mine}, {"type": "question", "id": theirs}])
    authors = [sign_up(client) for _ in range(5)]
    posts = [ask(client, a, body=f"<p>第{n}次分享隆鼻术后的恢复照片，鼻梁还有点肿。</p>")
             for n, a in enumerate(authors, 1)]
    cases = [file_notice(client, [{"type": "question", "id": p}])[0] for p in posts[:4]]
    portrait, _ = file_notice(client, [{"type": "question", "id": posts[4]}], notice_type="portrait")
    undecided_author = sign_up(client)
    undecided = ask(client, undecided_author, body="<p>热玛吉做完一个月，感觉下颌线清晰了一些。</p>")
    file_notice(client, [{"type": "question", "id": undecided}])

    # Two cases decided three hours after they came in, four more after five: the median is five.
    clock.advance(hours=3)
    decide(client, moderator, item_of(client, moderator, "question", mine)["id"], "remove", "两处均使用了原图")
    decide(client, moderator, item_of(client, moderator, "question", posts[0])["id"], "remove")
    clock.advance(hours=2)
    for post in posts[1:4]:
        decide(client, moderator, item_of(client, moderator, "question", post)["id"], "remove")
    decide(client, moderator, item_of(client, moderator, "question", posts[4])["id"], "reject_notice",
           "肖像权人身份无法核实")

    # Both authors of the first case answer; one is restored after the wait, the other's is held.
    assert client.post(f"/v1/notices/{case_a}/counter-notices", json=COUNTER,
                       headers=first.headers).status_code == 201
    decide(client, moderator, item_of(client, moderator, "question", mine)["id"], "forward_counter", "要素齐全")
    other = {**COUNTER, "name": "赵敏", "signature": "赵敏", "phone": "+86 137-2222-3333"}
    assert client.post(f"/v1/notices/{case_a}/counter-notices", json=other,
                       headers=second.headers).status_code == 201
    clock.advance(days=16)
    assert tick(client)["cases_restored"] == 1
    r = client.post(f"/v1/notices/{case_a}/legal-action", json={"description": "已向法院提起诉讼"},
                    headers={"X-Case-Token": token_a})
    assert r.status_code == 200, r.text

    # Five questions reported as spam (one report each: three would hide one), one as advertising.
    spammer = sign_up(client)
    spams = [ask(client, spammer, body=f"<p>点开主页链接抽取免费玻尿酸，第{n}批名额有限。</p>") for n in range(5)]
    for reporter, spam in zip([sign_up(client) for _ in spams], spams, strict=True):
        r = client.post("/v1/reports", json={"target_type": "question", "target_id": spam, "reason": "spam"},
                        headers=reporter.headers)
        assert r.status_code == 201, r.text
    r = client.post("/v1/reports", json={"target_type": "question", "target_id": undecided,
                                         "reason": "advertising"}, headers=first.headers)
    assert r.status_code == 201, r.text

    # A removal appealed and overturned by another moderator.
    appealed = ask(client, first, body="<p>分享一下我做水光针之后的护肤步骤。</p>")
    assert act(client, moderator, "question", appealed, "remove", reason="advertising").status_code == 200
    assert appeal(client, first, "question", appealed).status_code == 201
    second_moderator = sign_up(client, role="moderator")
    decide(client, second_moderator, appeal_item(client, moderator, "question", appealed)["id"], "overturn",
           "内容为真实护肤经验")

    # April: one notice, decided at once.
    set_time(datetime(2026, 4, 10, 9, 0, tzinfo=CHINA))
    april_author = sign_up(client)
    late = ask(client, april_author, body="<p>下巴假体取出后第三天的样子。</p>")
    file_notice(client, [{"type": "question", "id": late}], notice_type="privacy")
    decide(client, moderator, item_of(client, moderator, "question", late)["id"], "remove")

    data = record(client, "?from=2026-02&to=2026-04")
    assert data["from"] == "2026-02" and data["to"] == "2026-04" and data["min_count"] == 5
    by_month = months(data)
    assert list(by_month) == ["2026-02", "2026-03", "2026-04"]
    march = by_month["2026-03"]
    assert march["notices_by_type"] == {"copyright": 6, "portrait": "<5", "privacy": 0, "reputation": 0,
                                        "other": 0}
    assert march["measures_taken"] == 5
    assert march["median_hours_to_first_action"] == 5.0
    assert march["counter_notices"] == "<5"
    assert march["restorations"] == "<5"
    assert march["litigation_holds"] == "<5"
    assert march["reports_by_reason"]["spam"] == 5
    assert march["reports_by_reason"]["advertising"] == "<5"
    assert march["reports_by_reason"]["harassment"] == 0
    assert march["appeals"] == "<5" and march["overturns"] == "<5" and march["appeals_upheld"] == 0

    # A month with nothing shows zeros; one decided notice gives no median (it would be that case's).
    february = by_month["2026-02"]
    assert set(february["notices_by_type"].values()) == {0} and february["measures_taken"] == 0
    assert february["median_hours_to_first_action"] is None
    april = by_month["2026-04"]
    assert april["notices_by_type"]["privacy"] == "<5" and april["measures_taken"] == "<5"
    assert april["median_hours_to_first_action"] is None
    assert april["notices_by_type"]["copyright"] == 0

    # The record names nobody: no case, no author, no claimant, no one who answered a notice.
    text = client.get("/v1/transparency?from=2026-02&to=2026-04").text
    for secret in [case_a, *cases, portrait, first.handle, second.handle, spammer.handle, "林晓雯", "王悦", "赵敏"]:
        assert secret not in text

    # Members and moderators read the same record as the public.
    assert client.get("/v1/transparency?from=2026-02&to=2026-04", headers=first.headers).json() == data
    assert client.get("/v1/transparency?from=2026-02&to=2026-04",
                      headers=moderator.headers).json() == data


def test_a_lower_threshold_shows_exact_counts(make_client: AppFactory) -> None:
    with make_client(transparency_min_count=1) as client:
        set_time(datetime(2026, 10, 15, 20, 0, tzinfo=CHINA))
        moderator = sign_up(client, role="moderator")
        author = sign_up(client)
        post = ask(client, author)
        file_notice(client, [{"type": "question", "id": post}])
        clock.advance(hours=2)
        decide(client, moderator, item_of(client, moderator, "question", post)["id"], "remove")
        october = months(record(client, "?from=2026-10&to=2026-10"))["2026-10"]
        assert october["notices_by_type"]["copyright"] == 1 and october["measures_taken"] == 1
        assert october["median_hours_to_first_action"] == 2.0
        assert "exact" in record(client, "?from=2026-10&to=2026-10")["note"]


def test_a_notice_late_on_the_last_day_counts_in_china_s_month(client: TestClient) -> None:
    # 17:00 UTC on 31 March is 01:00 on 1 April in China: the notice is April's.
    set_time(datetime(2026, 3, 31, 17, 0, tzinfo=UTC))
    author = sign_up(client)
    post = ask(client, author)
    file_notice(client, [{"type": "question", "id": post}])
    by_month = months(record(client, "?from=2026-03&to=2026-04"))
    assert by_month["2026-03"]["notices_by_type"]["copyright"] == 0
    assert by_month["2026-04"]["notices_by_type"]["copyright"] == "<5"


def test_the_first_hours_of_a_month_count_whichever_month_the_range_starts_at(make_client: AppFactory,
                                                                             database_url: str) -> None:
    # 00:30 on 1 December in China is still 30 November in UTC, the time the rows are stored in.
    with make_client(database_url=database_url, transparency_min_count=1) as client:
        moderator = sign_up(client, role="moderator")
        set_time(datetime(2026, 11, 30, 23, 30, tzinfo=CHINA))
        file_notice(client, [{"type": "question", "id": ask(client, sign_up(client))}])
        set_time(datetime(2026, 12, 1, 0, 30, tzinfo=CHINA))
        first, second = sign_up(client), sign_up(client)
        removed = ask(client, first, body="<p>玻尿酸填充泪沟两周，分享一下消肿前后的对比照。</p>")
        file_notice(client, [{"type": "question", "id": removed}])
        file_notice(client, [{"type": "question", "id": ask(client, second)}])
        decide(client, moderator, item_of(client, moderator, "question", removed)["id"], "remove", "照片为他人原图")
        spam = ask(client, sign_up(client), body="<p>私信领取医美体验券，名额仅限今晚。</p>")
        r = client.post("/v1/reports", json={"target_type": "question", "target_id": spam, "reason": "spam"},
                        headers=first.headers)
        assert r.status_code == 201, r.text

        for query in ("?from=2026-12&to=2026-12", "?from=2026-11&to=2026-12", "?from=2026-12&to=2027-01"):
            december = months(record(client, query))["2026-12"]
            assert december["notices_by_type"]["copyright"] == 2, query
            assert december["measures_taken"] == 1, query
            assert december["reports_by_reason"]["spam"] == 1, query
        for query in ("?from=2026-11&to=2026-11", "?from=2026-11&to=2026-12", "?from=2026-10&to=2026-11"):
            november = months(record(client, query))["2026-11"]
            assert november["notices_by_type"]["copyright"] == 1, query
            assert november["measures_taken"] == 0 and november["reports_by_reason"]["spam"] == 0, query


def test_the_range_is_checked(client: TestClient) -> None:
    def problem(query: str) -> str:
        r = client.get(f"/v1/transparency{query}")
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        field: str = r.json()["errors"][0]["field"]
        return field

    assert problem("?from=2026-13&to=2027-01") == "from"
    assert problem("?from=2026-01&to=2026") == "to"
    assert problem("?from=2026-05&to=2026-04") == "to"
    assert problem("?from=2024-01&to=2026-01") == "to"  # 25 months
    assert problem("?from=2026-01&to=2026-02&month=3") == "month"
    assert problem("?to=0000-01") == "to"  # no year 0: a 422, not a failure to make a date
    assert problem("?from=2026-01&to=9999-12") == "to"
    assert problem("?from=２026-01&to=2026-02") == "from"  # digits are ASCII digits
    assert len(record(client, "?from=2024-02&to=2026-01")["months"]) == 24
    # Without a range: the twelve months up to this one.
    set_time(datetime(2026, 1, 20, 12, 0, tzinfo=CHINA))
    data = record(client, "")
    assert data["from"] == "2025-02" and data["to"] == "2026-01" and len(data["months"]) == 12
