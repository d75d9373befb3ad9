"""comments."""

from __future__ import annotations
