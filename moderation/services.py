"""The moderation room's service functions."""

from __future__ import annotations

from typing import Any

from content.interfaces import MemoryNotifier, MemoryScreener
from meiji.settings import Settings


async def tick(state: Any) -> None:
    """Run the timers that are due (claims lapsing, counter-notice waits ending)."""
    return None


def build_notifier() -> MemoryNotifier:
    """The notifier content uses (answers, comments) and moderation uses (takedowns)."""
    return MemoryNotifier()


def build_screener(settings: Settings) -> MemoryScreener:
    """The screener that queues advertising and off-platform contact details."""
    return MemoryScreener()


class CaseTokens:
    """``media.interfaces.CaseAccess`` over legal cases."""

    async def may_read(self, holder: str, case_token: str) -> bool:
        return False


def build_case_access() -> CaseTokens:
    return CaseTokens()
