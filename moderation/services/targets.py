"""What moderation acts on: content (through ``content.services`` only) and accounts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import content.services as content
from content.interfaces import Authors
from content.services import TargetInfo
from kernel.settings import Settings
from kernel.vocabulary import MODERATED, ContentType, PostStatus
from kernel.web.ids import parse_id
from media.interfaces import Attachments, PhotoState
from moderation.interfaces import AccountControl, ModerationServices
from moderation.services import suspensions
from moderation.vocabulary import ACCOUNT, SuspensionCause

# What moderation acts on through ``content.services``, one photo through ``services.media``;
# accounts it acts on through AccountControl.
CONTENT_TYPES: frozenset[str] = frozenset(MODERATED)
PHOTO = ContentType.PHOTO
# Holders of photos that a notice or a moderator may name one by one: posts, and avatars.
AVATAR = "avatar"
_PHOTO_HOLDERS = frozenset({ContentType.DIARY, ContentType.DIARY_ENTRY, ContentType.REVIEW})


async def _photos(services: ModerationServices, ids: list[str]) -> dict[str, TargetInfo]:
    """Photos as moderation sees them (evidence never): the status is the photo's own (``removed``
    or ``hidden`` when moderation took it down alone, ``deleted`` once released), the author and
    anonymity those of the post holding it (an avatar's account; the uploader while not attached)."""
    media: Attachments = services.media
    states = [state for state in (await media.photos(ids)).values() if state.purpose != "evidence"]
    holders = [_holder(state) for state in states]
    posts = await content.find_targets([h for h in holders if h[0] in _PHOTO_HOLDERS])
    found: dict[str, TargetInfo] = {}
    for state, (kind, key) in zip(states, holders, strict=True):
        status = (PostStatus.DELETED if state.status == "released"
                  else PostStatus(state.takedown.status) if state.takedown else PostStatus.PUBLISHED)
        post = posts.get((kind, key))
        if post is not None:
            author, anonymous, title, path = post.author_id, post.anonymous, post.title, post.path
        elif kind == AVATAR and parse_id(key) is not None:
            accounts: AccountControl = services.accounts
            author, anonymous, path = int(key), False, f"/v1/accounts/{key}"
            title = await accounts.handle_of(int(key)) or ""
        else:  # not attached yet: an upload held for review
            author, anonymous, title, path = state.owner_id, False, "", f"/v1/media/{state.id}"
        found[state.id] = TargetInfo(type=PHOTO, id=state.id, author_id=author, anonymous=anonymous, status=status,
                                     title=title, preview="", path=path, media_ids=[state.id],
                                     case_id=state.takedown.case_id if state.takedown else None)
    return found


def _holder(state: PhotoState) -> tuple[str, str]:
    kind, _, key = (state.holder or "").partition(":")
    return kind, key


async def shown_photo(services: ModerationServices, media_id: str) -> bool:
    """Whether the upload is a photo of a post or an avatar (attached, not evidence): what a notice
    may name. A pending upload was never shown to anyone but its uploader."""
    media: Attachments = services.media
    state = (await media.photos([media_id])).get(media_id)
    return (state is not None and state.status == "attached" and state.purpose != "evidence"
            and (_holder(state)[0] in _PHOTO_HOLDERS or _holder(state)[0] == AVATAR))


async def find(services: ModerationServices, target_type: str, target_id: str) -> TargetInfo | None:
    """The target behind (type, id) whatever its status, accounts included; None when there is none."""
    if target_type == ACCOUNT:
        if parse_id(target_id) is None:
            return None
        accounts: AccountControl = services.accounts
        handle = await accounts.handle_of(int(target_id))
        if handle is None:
            return None
        removed = await suspensions.active(int(target_id), SuspensionCause.ACCOUNT_REMOVED)
        return TargetInfo(type=ACCOUNT, id=target_id, author_id=int(target_id), anonymous=False,
                          status=PostStatus.REMOVED if removed else PostStatus.PUBLISHED, title=handle, preview="",
                          path=f"/v1/accounts/{target_id}")
    if target_type not in CONTENT_TYPES:
        return None
    if target_type == PHOTO:
        return (await _photos(services, [target_id])).get(target_id)
    return await content.find_target(target_type, target_id)


async def find_many(services: ModerationServices, pairs: list[tuple[str, str]]) -> list[TargetInfo | None]:
    """``find`` for many targets in a few queries (content batched per type), in the order given."""
    content_pairs = [(t, i) for t, i in pairs if t in CONTENT_TYPES and t != PHOTO]
    found = await content.find_targets(content_pairs) if content_pairs else {}
    photo_ids = [i for t, i in pairs if t == PHOTO]
    photos = await _photos(services, photo_ids) if photo_ids else {}
    found.update({(PHOTO, media_id): info for media_id, info in photos.items()})
    return [await find(services, t, i) if t == ACCOUNT else found.get((t, i)) for t, i in pairs]


async def set_status(services: ModerationServices, info: TargetInfo, status: PostStatus, *, case_id: str | None = None,
                     reason: str | None = None) -> None:
    """Hide, remove or publish content; for an account, removal suspends it and publishing reinstates it."""
    if info.type == ACCOUNT:
        # Removal suspends the account and hides its avatar and bio; a restore ends only that suspension.
        if status == PostStatus.REMOVED:
            await suspensions.begin(services, int(info.id), SuspensionCause.ACCOUNT_REMOVED)
        elif status == PostStatus.PUBLISHED:
            await suspensions.end(services, int(info.id), (SuspensionCause.ACCOUNT_REMOVED,), reason or "restored")
        return
    if info.type == PHOTO:
        # That photo alone: its post (or profile) and the post's other photos stay as they are.
        media: Attachments = services.media
        await media.set_photo_status(info.id, status, case_id=case_id, reason=reason)
        if info.author_id is not None:
            # An avatar shows in author views, cached for a second: show the change at once.
            content.forget_author(info.author_id)
        return
    await content.set_status(services, info.type, info.id, status,
                             case_id=case_id, reason=reason)


_PORTS = {"http": 80, "https": 443}


def is_ours(settings: Settings, url: str) -> bool:
    """Whether ``url`` is on one of our public hosts: ``MEIJI_PUBLIC_URL``'s origin (scheme, host and
    port) or a share host of ``MEIJI_SHARE_HOSTS`` (http or https, default port). A path alone is not
    enough: ``https://any-host/diaries/12`` is someone else's page."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        public = urlsplit(settings.public_url)
        public_port = public.port
    except ValueError:
        return False
    if parts.scheme not in _PORTS or not parts.hostname or parts.username is not None:
        return False
    origin = (parts.scheme, parts.hostname, port or _PORTS[parts.scheme])
    if public.scheme in _PORTS and origin == (public.scheme, public.hostname, public_port or _PORTS[public.scheme]):
        return True
    return parts.hostname in settings.share_hosts and port in (None, _PORTS[parts.scheme])


async def resolve_url(services: ModerationServices, url: str, *, our_host: bool) -> tuple[str, str] | None:
    """(type, id) of the content or photo a URL names: on our hosts (``our_host``, see ``is_ours``)
    a post's or a photo's URL; anywhere, a photo's copy under ``MEIJI_CDN_URL``."""
    media: Attachments = services.media
    media_id = media.photo_at(url, our_host=our_host)
    if media_id is not None:
        return PHOTO, media_id
    return await content.resolve_url(url) if our_host else None


async def authors_json(services: ModerationServices, author_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Real authors as moderators see them, ``{id, handle}``, in one lookup (deleted accounts: handle None)."""
    authors: Authors = services.authors
    views = await authors.views(list(set(author_ids)))
    return {i: {"id": str(i), "handle": views[i].handle if i in views else None} for i in set(author_ids)}


def summary(info: TargetInfo) -> dict[str, Any]:
    """A target as its author is told about it (never the reporters or claimants behind it)."""
    return {"type": info.type, "id": info.id, "title": info.title, "path": info.path}
