"""questions."""

from __future__ import annotations
