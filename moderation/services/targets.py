"""What moderation acts on: content (through ``content.services`` only) and accounts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import content.services as content
from content.interfaces import Authors
from content.services import TargetInfo
from kernel.settings import Settings
from kernel.vocabulary import MODERATED, PostStatus
from kernel.web.ids import parse_id
from moderation.interfaces import AccountControl, ModerationServices
from moderation.services import suspensions
from moderation.vocabulary import ACCOUNT, SuspensionCause

# What moderation acts on through ``content.services``; accounts it acts on through AccountControl.
CONTENT_TYPES: frozenset[str] = frozenset(MODERATED)


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
    return await content.find_target(target_type, target_id)


async def find_many(services: ModerationServices, pairs: list[tuple[str, str]]) -> list[TargetInfo | None]:
    """``find`` for many targets in a few queries (content batched per type), in the order given."""
    content_pairs = [(t, i) for t, i in pairs if t in CONTENT_TYPES]
    found = await content.find_targets(content_pairs) if content_pairs else {}
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


async def resolve_url(url: str) -> tuple[str, str] | None:
    return await content.resolve_url(url)


async def authors_json(services: ModerationServices, author_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Real authors as moderators see them, ``{id, handle}``, in one lookup (deleted accounts: handle None)."""
    authors: Authors = services.authors
    views = await authors.views(list(set(author_ids)))
    return {i: {"id": str(i), "handle": views[i].handle if i in views else None} for i in set(author_ids)}


def summary(info: TargetInfo) -> dict[str, Any]:
    """A target as its author is told about it (never the reporters or claimants behind it)."""
    return {"type": info.type, "id": info.id, "title": info.title, "path": info.path}
