"""The moderation room's service functions."""

from __future__ import annotations

from typing import Any

from content.interfaces import MemoryNotifier, MemoryScreener


async def tick(state: Any) -> None:
    """Run the timers that are due (claims lapsing, counter-notice waits ending)."""
    return None


def build_notifier() -> MemoryNotifier:
    return MemoryNotifier()


def build_screener(settings: Any) -> MemoryScreener:
    return MemoryScreener()
