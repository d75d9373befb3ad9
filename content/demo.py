"""A small, realistic demo data set, so a new user sees a living service."""

from __future__ import annotations

from typing import Any


async def load(state: Any) -> str:
    """Load the demo set; returns a one-line summary."""
    return "demo data: nothing to load yet"
