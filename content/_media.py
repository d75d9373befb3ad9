"""Attaching uploads to a post, with errors that name the list item at fault, and the photo views
a reader is shown."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from content.interfaces import ContentServices
from kernel.web.auth import Principal
from kernel.web.problems import Problem, invalid
from media.interfaces import Attachments, MediaError, MediaView


def media_problem(exc: MediaError, field: str, ids: Sequence[str]) -> Problem:
    """A 422 on ``field.N``, N being the position of the media id media refused."""
    index = list(ids).index(exc.media_id) if exc.media_id in ids else 0
    return invalid(f"{field}.{index}", exc.message)


async def attach_media(services: ContentServices, holder: str, ids: list[str], owner: int, *, replace: bool,
                       field: str = "media_ids") -> None:
    """Attach (or, editing, replace) the holder's uploads; 422 naming the item media refused."""
    media: Attachments = services.media
    try:
        if replace:
            await media.replace(holder, ids, owner_id=owner)
        elif ids:
            await media.attach(holder, ids, owner_id=owner)
    except MediaError as exc:
        raise media_problem(exc, field, ids) from None


def sees_every_photo(principal: Principal | None, author_id: int | None) -> bool:
    """A post's author and moderators see its photos whatever its status (to judge or to appeal it)."""
    return principal is not None and (principal.is_moderator or (author_id is not None and principal.id == author_id))


async def photo_views(services: ContentServices, posts: Iterable[tuple[int | None, Sequence[str]]],
                      principal: Principal | None) -> dict[str, MediaView]:
    """Views of the photos of ``(author_id, media_ids)`` pairs, in at most two media lookups.

    Others see only published photos, at public URLs. The author and moderators see every photo
    not yet deleted; those not published come with URLs of the authorised variant route, which
    opens only to them, so the answer can be shown to them without publishing anything.
    """
    every: list[str] = []
    public: list[str] = []
    for author_id, ids in posts:
        (every if sees_every_photo(principal, author_id) else public).extend(ids)
    media: Attachments = services.media
    views = await media.views(list(dict.fromkeys(public))) if public else {}
    if every:
        views.update(await media.views(list(dict.fromkeys(every)), everything=True))
    return views
