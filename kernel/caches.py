"""A bounded cache for values that are costly to build and asked for again soon.

At most ``size`` values, each kept for ``seconds`` when given (else until dropped). When it is full,
every value is dropped at once: nothing is done per hit, unlike an LRU's bookkeeping, and a flood of
new keys only empties it. Callers key values by everything that decides them, so a dropped or
expired value is built again, never shown stale.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Hashable
from typing import Generic, Literal, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Missing(enum.Enum):
    MISSING = enum.auto()


MISSING = _Missing.MISSING  # what ``get`` answers for a key it does not hold (a kept value may be None)
Missing = Literal[_Missing.MISSING]


class Kept(Generic[K, V]):
    def __init__(self, size: int, seconds: float | None = None) -> None:
        self.size = size
        self.seconds = seconds
        self._values: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | Missing:
        found = self._values.get(key)
        if found is None or (self.seconds is not None and found[0] <= time.monotonic()):
            return MISSING
        return found[1]

    def put(self, key: K, value: V) -> V:
        if len(self._values) >= self.size:
            self._values = {}
        self._values[key] = (time.monotonic() + self.seconds if self.seconds is not None else 0.0, value)
        return value

    def clear(self) -> None:
        self._values = {}

    def __len__(self) -> int:
        return len(self._values)
