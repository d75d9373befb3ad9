"""The public record (透明度报告): what the legal process and the reports did, month by month.

Months are China's calendar months (UTC+8, no daylight saving), the community's own. Every figure
comes from the rows the process already keeps (notices, counter-notices, reports, appeals and the
append-only audit log), so the record cannot say more than the log holds.

A count from 1 to below ``MEIJI_TRANSPARENCY_MIN_COUNT`` could point at one case or one member: it
is shown as the string ``"<N"``; zero stays 0 (nobody to identify). No totals are published beside
the breakdowns: a total minus the visible cells would give a hidden one back. The median time to
first action is ``null`` for a month with fewer decided notices than the threshold.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from statistics import median
from typing import Any

from kernel.clock import CHINA
from kernel.web.problems import invalid
from moderation.models import Appeal, AuditEntry, CounterNotice, Notice, Report
from moderation.vocabulary import ActorKind, AppealStatus, NoticeType, ReportReason

MAX_MONTHS = 24
_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")

Month = tuple[int, int]


def parse_month(field: str, text: str) -> Month:
    """``YYYY-MM`` → (year, month); anything else is 422 on ``field``."""
    found = _MONTH.fullmatch(text)
    # The service keeps nothing from before 2000; year 0 or 9999 would not even make a date.
    if not found or not 2000 <= int(found.group(1)) <= 9998:
        raise invalid(field, "a month as YYYY-MM from 2000 on, e.g. 2026-10")
    return int(found.group(1)), int(found.group(2))


def _next(month: Month) -> Month:
    year, m = month
    return (year + 1, 1) if m == 12 else (year, m + 1)


def _start(month: Month) -> datetime:
    """Midnight in China that opens ``month``, in UTC: rows are stored in UTC and SQLite compares the
    text, so a bound in +08:00 would drop the month's first eight hours in China."""
    return datetime(month[0], month[1], 1, tzinfo=CHINA).astimezone(UTC)


def month_range(first: Month, last: Month) -> list[Month]:
    """Every month from ``first`` to ``last``, both included; at most ``MAX_MONTHS`` (else 422)."""
    if last < first:
        raise invalid("to", "must not be before from")
    months = [first]
    while months[-1] < last:
        months.append(_next(months[-1]))
        if len(months) > MAX_MONTHS:
            raise invalid("to", f"at most {MAX_MONTHS} months from from")
    return months


def _key(moment: datetime) -> str:
    local = moment.astimezone(CHINA)
    return f"{local.year:04d}-{local.month:02d}"


def _label(month: Month) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


class _Shown:
    """Turns exact counts into published ones: 1..min-1 become ``"<min"``."""

    def __init__(self, min_count: int) -> None:
        self.min_count = min_count

    def __call__(self, count: int) -> int | str:
        return f"<{self.min_count}" if 0 < count < self.min_count else count

    def breakdown(self, counts: Counter[str], keys: Iterable[str]) -> dict[str, int | str]:
        return {key: self(counts[key]) for key in keys}


def _note(min_count: int) -> str:
    if min_count <= 1:
        return "Every count is exact; the median time to first action is null in a month without decided notices."
    return (f"Counts from 1 to {min_count - 1} are shown as \"<{min_count}\" so that no case or member can be "
            f"identified; the median time to first action is null when fewer than {min_count} notices of the "
            "month were decided. Breakdowns have no totals, which would reveal the hidden cells.")


async def report(first: Month, last: Month, *, min_count: int) -> dict[str, Any]:
    """The record from ``first`` to ``last`` (calendar months in China, both included)."""
    months = month_range(first, last)
    start, end = _start(months[0]), _start(_next(months[-1]))
    in_range = {"__gte": start, "__lt": end}

    def when(name: str) -> dict[str, datetime]:
        return {f"{name}{op}": moment for op, moment in in_range.items()}

    notices = await Notice.filter(**when("created_at")).values_list("id", "notice_type", "created_at")
    counters = await CounterNotice.filter(**when("created_at")).values_list("created_at")
    reports = await Report.filter(**when("created_at")).values_list("reason", "created_at")
    appeals = await Appeal.filter(**when("created_at")).values_list("created_at")
    decided = await Appeal.filter(**when("decided_at")).values_list("status", "decided_at")
    entries = await AuditEntry.filter(**when("at"), action__in=("decision_remove", "restored", "litigation_hold"),
                                      case_id__isnull=False).values_list("action", "case_id", "at")

    # Time to first action: a notice's first decision by a moderator, whenever it came.
    received = {str(case_id): created for case_id, _, created in notices}
    first_action: dict[str, datetime] = {}
    if received:
        rows = await AuditEntry.filter(case_id__in=list(received), actor_kind=ActorKind.MODERATOR,
                                       action__startswith="decision_").values_list("case_id", "at")
        for case_id, at in rows:
            case = str(case_id)
            if case not in first_action or at < first_action[case]:
                first_action[case] = at
    hours: dict[str, list[float]] = {}
    for case, at in first_action.items():
        hours.setdefault(_key(received[case]), []).append((at - received[case]).total_seconds() / 3600)

    by_type: dict[str, Counter[str]] = {}
    for _, notice_type, created in notices:
        by_type.setdefault(_key(created), Counter())[str(notice_type)] += 1
    by_reason: dict[str, Counter[str]] = {}
    for reason, created in reports:
        by_reason.setdefault(_key(created), Counter())[str(reason)] += 1
    events: Counter[tuple[str, str]] = Counter()
    measures: set[tuple[str, str]] = set()
    for action, case_id, at in entries:
        if action == "decision_remove":
            measures.add((_key(at), str(case_id)))  # one case is one measure, however many items it had
        else:
            events[(_key(at), str(action))] += 1
    for month_key, _ in measures:
        events[(month_key, "measures")] += 1
    counted = Counter(_key(at) for (at,) in counters)
    filed = Counter(_key(at) for (at,) in appeals)
    outcomes = Counter((_key(at), str(status)) for status, at in decided if at is not None)

    shown = _Shown(min_count)
    out = []
    for month in months:
        key = _label(month)
        times = hours.get(key, [])
        out.append({
            "month": key,
            "notices_by_type": shown.breakdown(by_type.get(key, Counter()), NoticeType),
            "measures_taken": shown(events[(key, "measures")]),
            "counter_notices": shown(counted[key]),
            "restorations": shown(events[(key, "restored")]),
            "litigation_holds": shown(events[(key, "litigation_hold")]),
            "median_hours_to_first_action": (round(median(times), 1) if len(times) >= min_count else None),
            "reports_by_reason": shown.breakdown(by_reason.get(key, Counter()), ReportReason),
            "appeals": shown(filed[key]),
            "appeals_upheld": shown(outcomes[(key, AppealStatus.UPHELD)]),
            "overturns": shown(outcomes[(key, AppealStatus.OVERTURNED)]),
        })
    return {
        "from": _label(months[0]),
        "to": _label(months[-1]),
        "timezone": "Asia/Shanghai",
        "min_count": min_count,
        "note": _note(min_count),
        "months": out,
    }
