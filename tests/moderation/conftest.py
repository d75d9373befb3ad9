"""Fixtures of the moderation tests: time restored after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from meiji.clock import clock


@pytest.fixture(autouse=True)
def restore_clock() -> Iterator[None]:
    offset = clock.offset
    yield
    clock.offset = offset
