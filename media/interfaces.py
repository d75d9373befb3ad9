"""What the media room offers other rooms, and the storage backends it runs on.

Media knows nothing of posts: a post is a *holder* string such as ``"diary:12"`` that media ids are
attached to. Content tells media when an attachment starts, when the holder stops being visible
and when it goes away; media decides what is served and what the sweeper deletes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol, cast

from kernel.web.ratelimit import RateLimiter
from kernel.web.services import Carrier


@dataclass(frozen=True)
class Variant:
    url: str
    width: int
    height: int


@dataclass(frozen=True)
class Takedown:
    """Moderation acting on one photo: ``removed`` (a placeholder is shown in its place, naming the
    case and the reason) or ``hidden`` (held for review). ``case_id``: the legal case that removed
    it, or for a held upload the case whose removed photo it matches; None for a policy removal."""

    status: str
    case_id: str | None
    reason: str | None

    def as_json(self) -> dict[str, object]:
        return {"status": self.status, "case_id": self.case_id, "reason": self.reason}


@dataclass(frozen=True, kw_only=True)
class MediaView:
    """An upload as other rooms show it. A photo taken down on its own shows ``takedown``; to
    readers other than its author and moderators it is then a placeholder without variants."""

    id: str
    width: int
    height: int
    bytes: int
    sha256: str
    purpose: str
    variants: dict[str, Variant] = field(default_factory=dict)
    takedown: Takedown | None = None

    @cached_property
    def _variants_json(self) -> dict[str, dict[str, object]]:
        # Once per view: a view is kept for a second and shown on every page that shows its photo
        # meanwhile. The answers share this dict; nothing changes an answer's dicts once built.
        return {name: {"url": v.url, "width": v.width, "height": v.height} for name, v in self.variants.items()}

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {"id": self.id, "width": self.width, "height": self.height,
                                   "variants": self._variants_json}
        if self.takedown is not None:
            data["takedown"] = self.takedown.as_json()
        return data


@dataclass(frozen=True, kw_only=True)
class PhotoState:
    """One upload as moderation sees it when a notice or a moderator names the photo itself."""

    id: str
    owner_id: int | None
    purpose: str
    status: str  # pending, attached or released
    holder: str | None  # "diary:12", "diary_entry:5", "review:3", "avatar:7"; None until attached
    takedown: Takedown | None = None


class MediaError(ValueError):
    """An attachment request names media that cannot be attached (unknown, not the owner's, taken)."""

    def __init__(self, media_id: str, message: str) -> None:
        super().__init__(f"{media_id}: {message}")
        self.media_id = media_id
        self.message = message


class StorageError(RuntimeError):
    """The storage could not be reached or refused a call (answered 503; nothing is half-done)."""


class Attachments(Protocol):
    """The media room's service, as content, accounts and moderation use it."""

    def publishing_after(self) -> AbstractAsyncContextManager[None]:
        """Within this block, uploads attached are published (copied to their public keys) when the
        block ends without an error, not at once. Wrap a transaction in it (``async with
        media.publishing_after(), in_transaction():``) so the transaction commits before the files
        are copied and never holds the database while they are."""
        ...

    async def attach(self, holder: str, media_ids: Sequence[str], *, owner_id: int | None,
                     purposes: Sequence[str] = ("post",)) -> list[MediaView]:
        """Attach pending uploads of ``owner_id`` to ``holder``; MediaError names the first bad id."""
        ...

    async def replace(self, holder: str, media_ids: Sequence[str], *, owner_id: int | None,
                      purposes: Sequence[str] = ("post",)) -> list[MediaView]:
        """Make ``media_ids`` the holder's media: attach new ones, release those no longer listed."""
        ...

    async def release(self, holder: str) -> None:
        """The holder is gone: stop serving its media at once; the sweeper deletes the objects."""
        ...

    async def set_visible(self, holder: str, visible: bool) -> None:
        """Stop (hidden, removed) or resume (restored) serving the holder's media."""
        ...

    async def views(self, media_ids: Sequence[str], *, everything: bool = False) -> dict[str, MediaView]:
        """Served media among ``media_ids`` with their public URLs (and attached evidence, with URLs of
        the authorised route); others are absent. ``everything`` (for a post's author and moderators)
        adds every upload not yet released, hidden or not, with URLs only such a reader can open."""
        ...

    async def remember_removed(self, media_ids: Sequence[str], *, case_id: str) -> int:
        """Photos removed on a legal notice: keep their perceptual hashes, so that an upload close
        to one is refused naming ``case_id``. Returns how many were kept."""
        ...

    async def forget_removed(self, media_ids: Sequence[str], *, case_id: str) -> int:
        """``case_id`` no longer holds these photos removed: uploads of them are accepted again."""
        ...

    async def photos(self, media_ids: Sequence[str]) -> dict[str, PhotoState]:
        """The uploads among ``media_ids`` that exist (released ones too), for moderation."""
        ...

    async def set_photo_status(self, media_id: str, status: str, *, case_id: str | None = None,
                               reason: str | None = None) -> None:
        """Moderation acting on one photo: ``removed`` or ``hidden`` take it down at once (every URL
        of it stops serving, its holder's other photos stay); ``published`` lifts that, publishing
        it again under new URLs when its holder is visible."""
        ...

    def photo_at(self, url: str, *, our_host: bool) -> str | None:
        """The upload id a photo URL names: its public copy, ``GET /v1/media/{id}`` or a variant
        route when ``our_host`` (the caller checked the URL's host), or a URL under the CDN."""
        ...

    async def block_photo(self, media_id: str, *, note: str) -> bool:
        """List an upload as a clinic's marketing image (MediaError when there is no such upload);
        False when it is listed already."""
        ...

    async def blocked_among(self, media_ids: Sequence[str]) -> list[str]:
        """Those of ``media_ids`` whose photo is close to a listed marketing image."""
        ...

    async def erase_owner(self, owner_id: int) -> int:
        """Account deletion: stop serving and delete every upload of the owner; returns how many."""
        ...

    async def owned(self, owner_id: int) -> list[MediaView]:
        """Every upload of the owner that still exists (for the data export)."""
        ...

    async def ping(self) -> None:
        """Raise when the storage cannot be reached."""
        ...

    async def close(self) -> None:
        """Let go of the storage's kept connections (at shutdown)."""
        ...


# Caching headers of variant objects. Published copies may be taken down at any moment: shared
# caches keep them minutes, never a year. Private objects (evidence, the kept originals of every
# upload) are never stored by any cache.
PUBLIC_CACHE = "public, max-age=300"
PRIVATE_CACHE = "private, no-store"


class Storage(Protocol):
    """Where variant bytes live: a local directory, an S3 bucket, or memory in tests."""

    async def put(self, key: str, data: bytes, content_type: str, cache_control: str = PRIVATE_CACHE) -> None:
        """Store ``data`` under ``key``, replacing any object there, with the caching header it is sent with."""
        ...

    async def copy(self, source: str, target: str, cache_control: str) -> None:
        """Copy an object within the storage, giving the copy its own caching header."""
        ...

    async def put_all(self, objects: Mapping[str, bytes], content_type: str,
                      cache_control: str = PRIVATE_CACHE) -> None:
        """``put`` each ``{key: data}``, in the way that is fastest for the backend (at once over a
        network, one after the other on a local disk). On failure some may be stored: the caller
        deletes them."""
        ...

    async def copy_all(self, copies: Mapping[str, str], cache_control: str) -> None:
        """``copy`` each ``{target: source}``, like ``put_all``."""
        ...

    async def get(self, key: str) -> bytes:
        """The object's bytes; FileNotFoundError when there is none."""
        ...

    def stream(self, key: str) -> AsyncIterator[bytes]:
        """The object's bytes in chunks; FileNotFoundError when there is none."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; no error when it is already gone."""
        ...

    async def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        ...

    async def url(self, key: str) -> str | None:
        """A URL clients can fetch directly (presigned or CDN), or None when the app serves it."""
        ...

    def cdn_url(self, key: str) -> str | None:
        """The CDN's URL of ``key`` when one is configured (what a purge names), else None."""
        ...

    def keys(self, prefix: str = "") -> AsyncIterator[tuple[str, float]]:
        """Every key under ``prefix`` with its modification time (epoch seconds), for reconciling."""
        ...

    async def ping(self) -> None:
        """Raise when the storage cannot be reached."""
        ...

    async def close(self) -> None:
        """Let go of connections kept open (at shutdown)."""
        ...


class CaseAccess(Protocol):
    """Who besides moderators may read evidence: the holder of a legal case's token."""

    async def may_read(self, holder: str, case_token: str) -> bool:
        """Whether ``case_token`` opens media attached to ``holder`` (a notice or counter-notice)."""
        ...


class PhotoReview(Protocol):
    """Moderation's queue, as media hands it an upload held for review (``MEIJI_FINGERPRINT_ACTION=review``)."""

    async def held(self, media_id: str, *, owner_id: int | None, case_id: str | None, distance: int) -> None:
        """File the held upload for moderators, naming the case whose removed photo it matches."""
        ...


class MediaServices(Protocol):
    """What media's routes use of the application's services object."""

    @property
    def media(self) -> Attachments: ...

    @property
    def rate_limiter(self) -> RateLimiter: ...

    @property
    def case_access(self) -> CaseAccess: ...

    @property
    def photo_review(self) -> PhotoReview: ...


def services_of(call: Carrier) -> MediaServices:
    """The services object as media sees it (``meiji.app`` proves the real one fits)."""
    return cast(MediaServices, call.services)
