"""Lawful clocks (民法典 第二百零三条): a legal waiting period whose last day is a rest day ends with the
first working day after it, on China's statutory holiday and adjusted-working-day (调休) calendar."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from kernel.clock import clock
from kernel.settings import SettingsError, load
from moderation.services.calendar import CLOCK, STATUTORY, is_working_day, label, official, period_end
from tests.conftest import AppFactory, Member, sign_up
from tests.moderation.conftest import ask, decide, file_notice, item_of, notifications, tick
from tests.moderation.test_notices import COUNTER

CHINA = timezone(timedelta(hours=8))
FIFTEEN_DAYS = 15 * 86400


def at(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=CHINA)


def set_time(moment: datetime) -> None:
    clock.offset = moment - datetime.now(UTC)


@pytest.mark.parametrize(("start", "end"), [
    # National Day 2026: Oct 1-7 off; the 15th day, Oct 7, moves to Thursday Oct 8 (ends at its 24:00).
    (at(2026, 9, 22, 10), at(2026, 10, 9)),
    # ... a period whose last day is Oct 1 also runs to Oct 8.
    (at(2026, 9, 16, 10), at(2026, 10, 9)),
    # Sunday Sept 20, 2026 is a working day (调休): a period ending on it is not moved.
    (at(2026, 9, 5, 10), at(2026, 9, 21)),
    # An ordinary Saturday is a rest day: Sept 19 moves to Sunday Sept 20, worked that year.
    (at(2026, 9, 4, 10), at(2026, 9, 21)),
    # Spring Festival 2026: Feb 15-23 off; the last day Feb 16 moves to Tuesday Feb 24.
    (at(2026, 2, 1, 10), at(2026, 2, 25)),
    # Saturday Feb 14, 2026 is a working day before the festival: not moved.
    (at(2026, 1, 30, 10), at(2026, 2, 15)),
    # A working Wednesday: the period ends at 24:00 of its fifteenth day, nothing more.
    (at(2026, 6, 2, 10), at(2026, 6, 18)),
    # 2027, as the package estimates it (no State Council notice yet): National Day Oct 1-5 off.
    (at(2027, 9, 16, 10), at(2027, 10, 7)),
    # Spring Festival 2027 (Feb 5-10 off, estimated): the last day Feb 5 moves to Thursday Feb 11.
    (at(2027, 1, 21, 10), at(2027, 2, 12)),
])
def test_a_period_ending_on_a_rest_day_runs_to_the_next_working_day(start: datetime, end: datetime) -> None:
    assert period_end(start, FIFTEEN_DAYS, STATUTORY) == end
    # Never shorter than the plain count.
    assert period_end(start, FIFTEEN_DAYS, STATUTORY) >= start + timedelta(days=15)


def test_the_calendar_knows_the_adjusted_working_days_and_says_when_it_estimates() -> None:
    assert is_working_day(date(2026, 2, 14)) and is_working_day(date(2026, 2, 28))  # Saturdays worked
    assert is_working_day(date(2026, 9, 20)) and is_working_day(date(2026, 10, 10))
    assert not is_working_day(date(2026, 10, 7)) and not is_working_day(date(2026, 2, 23))
    assert official(2026) and not official(2027)
    assert label(at(2026, 10, 9), STATUTORY) == "CN-statutory-2026"  # 24:00 of Oct 8
    assert label(at(2027, 1, 1), STATUTORY) == "CN-statutory-2026"  # 24:00 of Dec 31, 2026
    assert label(at(2027, 10, 7), STATUTORY) == "CN-statutory-2027-estimated"
    assert label(at(2026, 10, 9), "none") == CLOCK and label(None, STATUTORY) is None
    # Hours are not legal days, and the plain clock counts seconds.
    assert period_end(at(2026, 9, 30, 10), 86400 + 3600, STATUTORY) == at(2026, 10, 1, 11)
    assert period_end(at(2026, 9, 22, 10), FIFTEEN_DAYS, "none") == at(2026, 10, 7, 10)


def test_the_legal_calendar_is_a_setting() -> None:
    assert load({}).legal_calendar == "CN"
    assert load({"MEIJI_LEGAL_CALENDAR": "none"}).legal_calendar == "none"
    with pytest.raises(SettingsError, match="MEIJI_LEGAL_CALENDAR"):
        load({"MEIJI_LEGAL_CALENDAR": "cn-2026"})


def case(client: TestClient, case_id: str, token: str) -> dict[str, Any]:
    r = client.get(f"/v1/notices/{case_id}", headers={"X-Case-Token": token})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def test_the_restore_wait_over_national_day_ends_after_the_holiday(make_client: AppFactory) -> None:
    with make_client(legal_calendar="CN") as client:
        set_time(at(2026, 9, 20, 9))
        moderator: Member = sign_up(client, role="moderator")
        author, reader = sign_up(client), sign_up(client)
        post = ask(client, author, body="<p>国庆前做的眼综合，术后第十天的恢复照片，自己在家拍的。</p>")
        case_id, token = file_notice(client, [{"type": "question", "id": post}])
        item = item_of(client, moderator, "question", post)
        assert item["due_calendar"] == "clock"  # a day's service, not a legal period
        decide(client, moderator, item["id"], "remove", "照片与投诉人原图一致")

        # The counter-notice window: 15 days from Sept 20 end on Oct 5, a holiday: it runs to Oct 8.
        seen = case(client, case_id, token)
        assert seen["close_at"].startswith("2026-10-08T16:00:00")  # 24:00 of Oct 8, China time
        assert seen["close_calendar"] == "CN-statutory-2026"
        takedown = next(n for n in notifications(client, author) if n["kind"] == "takedown")
        assert takedown["payload"]["counter_notice_calendar"] == "CN-statutory-2026"
        assert takedown["payload"]["counter_notice_until"].startswith("2026-10-08T16:00:00")

        set_time(at(2026, 9, 22, 10))
        assert client.post(f"/v1/notices/{case_id}/counter-notices", json=COUNTER,
                           headers=author.headers).status_code == 201
        decide(client, moderator, item_of(client, moderator, "question", post)["id"], "forward_counter", "要素齐全")
        seen = case(client, case_id, token)
        assert seen["restore_at"].startswith("2026-10-08T16:00:00")  # 24:00 of Thursday Oct 8, China time
        assert seen["restore_calendar"] == "CN-statutory-2026"
        assert seen["counter_notices"][0]["restore_calendar"] == "CN-statutory-2026"

        # Oct 7 at 10:00, fifteen days on the plain clock: still a holiday, the post stays down for everyone.
        set_time(at(2026, 10, 7, 10))
        assert tick(client)["cases_restored"] == 0
        assert client.get(f"/v1/questions/{post}", headers=reader.headers).status_code == 451
        set_time(at(2026, 10, 8, 23))
        assert tick(client)["cases_restored"] == 0
        assert client.get(f"/v1/questions/{post}").status_code == 451

        # The first working day has ended: the post is back for every reader, the author is told.
        set_time(at(2026, 10, 9, 0) + timedelta(minutes=1))
        assert tick(client)["cases_restored"] == 1
        assert client.get(f"/v1/questions/{post}", headers=reader.headers).status_code == 200
        assert client.get(f"/v1/questions/{post}").status_code == 200
        assert any(n["kind"] == "restored" for n in notifications(client, author))


def test_the_counter_notice_window_over_the_2027_spring_festival_says_it_is_estimated(
        make_client: AppFactory) -> None:
    with make_client(legal_calendar="CN") as client:
        set_time(at(2027, 1, 21, 10))
        moderator = sign_up(client, role="moderator")
        author, reader = sign_up(client), sign_up(client)
        post = ask(client, author, body="<p>年前做了鼻综合，分享一下第一周的消肿过程。</p>")
        case_id, token = file_notice(client, [{"type": "question", "id": post}])
        decide(client, moderator, item_of(client, moderator, "question", post)["id"], "remove")
        seen = case(client, case_id, token)
        assert seen["close_at"].startswith("2027-02-11T16:00:00")  # 24:00 of Thursday Feb 11, China time
        assert seen["close_calendar"] == "CN-statutory-2027-estimated"

        # Feb 5, the plain fifteenth day, is New Year's Eve: the window is still open.
        set_time(at(2027, 2, 6, 10))
        tick(client)
        assert case(client, case_id, token)["status"] == "measures_taken"
        set_time(at(2027, 2, 12, 1))
        tick(client)
        assert case(client, case_id, token)["status"] == "closed"
        assert client.get(f"/v1/questions/{post}", headers=reader.headers).status_code == 451


def test_the_plain_clock_says_so(client: TestClient, moderator: Member) -> None:
    author = sign_up(client)
    post = ask(client, author)
    case_id, token = file_notice(client, [{"type": "question", "id": post}])
    decide(client, moderator, item_of(client, moderator, "question", post)["id"], "remove")
    assert case(client, case_id, token)["close_calendar"] == "clock"


LOADED = """
import sys
from meiji.app import create_app
create_app()
before = any(name.startswith("holidays") for name in sys.modules)
from datetime import UTC, datetime
from moderation.services.calendar import STATUTORY, period_end
end = period_end(datetime(2026, 9, 25, 4, tzinfo=UTC), 10 * 86400, STATUTORY)
print(before, any(name.startswith("holidays") for name in sys.modules), end.isoformat())
"""


def test_the_calendar_is_loaded_by_the_first_period_counted_not_by_the_app(tmp_path: Path) -> None:
    """A server that handles no notice does without every country's calendar (12 MB of RSS); the first
    period counted loads it and still moves past the National Day holiday (25 Sep + 10 days is 5 Oct,
    a day off: the period ends with Thursday 8 Oct, at 24:00 China time)."""
    done = subprocess.run([sys.executable, "-c", LOADED], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parents[2], env={"PATH": "", "MEIJI_DATA_DIR": str(tmp_path)})
    assert done.stdout.split() == ["False", "True", "2026-10-08T16:00:00+00:00"]
