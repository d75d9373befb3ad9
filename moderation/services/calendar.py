"""Lawful clocks: legal waiting periods counted as the civil code counts them (民法典 第二百零一至二百零三条).

A period of N days starts the day after the event (201), its last day ends at 24:00 (203 ¶2), and
when that last day is a rest day (a statutory holiday, or a weekend the State Council did not make a
working day) the period ends with the first working day after it (203 ¶1). Days are China's (UTC+8).
The holidays and adjusted working days (调休) come from the ``holidays`` package's China calendar,
which carries the State Council's yearly notice; for a year whose notice it does not have yet, it
estimates the holidays from the fixed rules, with no adjusted working days, and the label says so.

Only periods in whole days are legal periods: the queue's due times (hours) stay on the plain clock.

The package is imported when a period is first counted or labelled, not with the app: importing
China's calendar imports every country's (0.109 has no other way): 0.15 s, and 12 MB of an idle
server's RSS (166 -> 154 MB) that a process which never handles a notice does without.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING

from kernel.clock import CHINA

if TYPE_CHECKING:
    import holidays

DAY = 86400
CLOCK = "clock"  # a plain count of seconds, no calendar
STATUTORY = "CN"  # the MEIJI_LEGAL_CALENDAR value of China's statutory calendar


@cache
def _china(year: int) -> holidays.HolidayBase:
    import holidays

    return holidays.country_holidays("CN", years=year)


def is_working_day(day: date) -> bool:
    """A weekday that is no holiday, or a weekend day made a working day (调休上班)."""
    calendar = _china(day.year)
    if day in calendar.weekend_workdays:
        return True
    return day.weekday() < 5 and day not in calendar


def official(year: int) -> bool:
    """Whether the package has the State Council's notice for ``year`` (its days off in lieu)."""
    from holidays.countries.china import ChinaStaticHolidays

    return year in ChinaStaticHolidays.special_public_holidays


def label(end: datetime | None, calendar: str) -> str | None:
    """Which calendar a deadline was counted on: ``CN-statutory-2026``, ``CN-statutory-2027-estimated``
    (no official notice for that year yet) or ``clock``."""
    if end is None:
        return None
    if calendar != STATUTORY:
        return CLOCK
    # 24:00 of the last day is 00:00 of the next: the year is the last day's.
    year = (end.astimezone(CHINA) - timedelta(microseconds=1)).year
    return f"CN-statutory-{year}" if official(year) else f"CN-statutory-{year}-estimated"


def period_end(start: datetime, seconds: int, calendar: str) -> datetime:
    """When a period of ``seconds`` that starts at ``start`` ends.

    On the statutory calendar a period in whole days ends at 24:00 (China) of its last day, moved
    on to the end of the first working day when the last day is a rest day; anything else, or the
    plain clock, is ``start + seconds``.
    """
    if calendar != STATUTORY or seconds <= 0 or seconds % DAY:
        return start + timedelta(seconds=seconds)
    last = start.astimezone(CHINA).date() + timedelta(days=seconds // DAY)
    while not is_working_day(last):
        last += timedelta(days=1)
    # Stored and compared in UTC, as every other time (SQLite compares the text).
    return datetime.combine(last + timedelta(days=1), time(), tzinfo=CHINA).astimezone(UTC)
