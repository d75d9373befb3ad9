"""The one source of "now", so tests can move time instead of sleeping for days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone


class Clock:
    """Wall-clock time in UTC, shiftable by tests."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


clock = Clock()


def now() -> datetime:
    return clock.now()


# The service's members live in China's time: a day, a birthday, "today" in a diary begin at midnight
# in Beijing, which is still the day before in UTC. China keeps UTC+8 all year (no daylight saving
# since 1991), so a fixed offset is Asia/Shanghai without needing the system's time zone data.
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


def today_in_china() -> date:
    """Today's date in China."""
    return now().astimezone(CHINA).date()
