"""diaries."""

from __future__ import annotations
