"""wiki."""

from __future__ import annotations
