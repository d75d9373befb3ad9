"""Attaching uploads to a post, with errors that name the list item at fault."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kernel.web.problems import Problem, invalid
from media.interfaces import Attachments, MediaError


def media_problem(exc: MediaError, field: str, ids: Sequence[str]) -> Problem:
    """A 422 on ``field.N``, N being the position of the media id media refused."""
    index = list(ids).index(exc.media_id) if exc.media_id in ids else 0
    return invalid(f"{field}.{index}", exc.message)


async def attach_media(state: Any, holder: str, ids: list[str], owner: int, *, replace: bool,
                       field: str = "media_ids") -> None:
    """Attach (or, editing, replace) the holder's uploads; 422 naming the item media refused."""
    media: Attachments = state.media
    try:
        if replace:
            await media.replace(holder, ids, owner_id=owner)
        elif ids:
            await media.attach(holder, ids, owner_id=owner)
    except MediaError as exc:
        raise media_problem(exc, field, ids) from None
