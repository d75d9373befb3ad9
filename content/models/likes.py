"""likes."""

from __future__ import annotations
