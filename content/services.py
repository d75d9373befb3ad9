"""The content room's service functions."""

from __future__ import annotations


async def public_counts(author_id: int) -> dict[str, int]:
    """Published, non-anonymous posts of an author, by kind (anonymous posts are never counted)."""
    return {}
