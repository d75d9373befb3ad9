"""In-memory media for unit tests of other rooms: every id is an upload of its owner."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

from media.interfaces import MediaError, MediaView, PhotoState, Takedown, Variant


class MemoryAttachments:
    """Attachments kept in dictionaries; ``add`` stands in for an upload."""

    def __init__(self) -> None:
        self.uploads: dict[str, tuple[int | None, str]] = {}
        self.holders: dict[str, str] = {}
        self.hidden: set[str] = set()
        self.released: set[str] = set()
        # media id -> case id of photos removed on a legal notice.
        self.removed: dict[str, str] = {}
        # Listed marketing images: an id stands for its photo (no pixels here).
        self.blocked: dict[str, str] = {}
        # Photos moderation took down on their own.
        self.takedowns: dict[str, Takedown] = {}

    def add(self, media_id: str, owner_id: int | None, purpose: str = "post") -> None:
        self.uploads[media_id] = (owner_id, purpose)

    def _view(self, media_id: str) -> MediaView:
        url = f"memory://{media_id}"
        return MediaView(id=media_id, width=1080, height=1440, bytes=1000, sha256="0" * 64,
                         purpose=self.uploads[media_id][1],
                         variants={"thumb": Variant(url + "/thumb", 320, 427),
                                   "medium": Variant(url + "/medium", 1080, 1440),
                                   "large": Variant(url + "/large", 1080, 1440)})

    @contextlib.asynccontextmanager
    async def publishing_after(self) -> AsyncIterator[None]:
        yield  # nothing is copied here: attaching is publishing

    async def attach(self, holder: str, media_ids: Sequence[str], *, owner_id: int | None,
                     purposes: Sequence[str] = ("post",)) -> list[MediaView]:
        for media_id in media_ids:
            upload = self.uploads.get(media_id)
            if upload is None or media_id in self.released or upload[0] != owner_id or upload[1] not in purposes:
                raise MediaError(media_id, "no such upload of yours")
            if self.holders.get(media_id, holder) != holder:
                raise MediaError(media_id, "already attached elsewhere")
        for media_id in media_ids:
            self.holders[media_id] = holder
        return [self._view(m) for m in media_ids]

    async def replace(self, holder: str, media_ids: Sequence[str], *, owner_id: int | None,
                      purposes: Sequence[str] = ("post",)) -> list[MediaView]:
        views = await self.attach(holder, media_ids, owner_id=owner_id, purposes=purposes)
        for media_id, owner in list(self.holders.items()):
            if owner == holder and media_id not in media_ids:
                del self.holders[media_id]
                self.released.add(media_id)
        return views

    async def release(self, holder: str) -> None:
        for media_id, owner in list(self.holders.items()):
            if owner == holder:
                del self.holders[media_id]
                self.released.add(media_id)

    async def set_visible(self, holder: str, visible: bool) -> None:
        for media_id, owner in self.holders.items():
            if owner == holder:
                (self.hidden.discard if visible else self.hidden.add)(media_id)

    async def views(self, media_ids: Sequence[str], *, everything: bool = False) -> dict[str, MediaView]:
        shown = {m: self._view(m) for m in media_ids
                 if m in self.uploads and m not in self.released and (everything or m not in self.hidden)}
        for media_id in set(shown) & set(self.takedowns):
            takedown = self.takedowns[media_id]
            if everything or takedown.status == "removed":
                view = shown[media_id]
                shown[media_id] = MediaView(id=view.id, width=view.width, height=view.height, bytes=view.bytes,
                                            sha256=view.sha256, purpose=view.purpose, takedown=takedown,
                                            variants=view.variants if everything else {})
            else:
                del shown[media_id]
        return shown

    async def photos(self, media_ids: Sequence[str]) -> dict[str, PhotoState]:
        return {m: PhotoState(id=m, owner_id=self.uploads[m][0], purpose=self.uploads[m][1],
                              status="released" if m in self.released else "attached" if m in self.holders
                              else "pending", holder=self.holders.get(m), takedown=self.takedowns.get(m))
                for m in media_ids if m in self.uploads}

    async def set_photo_status(self, media_id: str, status: str, *, case_id: str | None = None,
                               reason: str | None = None) -> None:
        if status == "published":
            self.takedowns.pop(media_id, None)
        else:
            self.takedowns[media_id] = Takedown(status, case_id, reason)

    def photo_at(self, url: str, *, our_host: bool) -> str | None:
        return url.removeprefix("memory://").split("/")[0] if url.startswith("memory://") else None

    async def remember_removed(self, media_ids: Sequence[str], *, case_id: str) -> int:
        known = [m for m in media_ids if m in self.uploads]
        self.removed.update(dict.fromkeys(known, case_id))
        return len(known)

    async def forget_removed(self, media_ids: Sequence[str], *, case_id: str) -> int:
        gone = [m for m in media_ids if self.removed.get(m) == case_id]
        for media_id in gone:
            del self.removed[media_id]
        return len(gone)

    async def block_photo(self, media_id: str, *, note: str) -> bool:
        if media_id not in self.uploads or media_id in self.released:
            raise MediaError(media_id, "no such upload")
        if media_id in self.blocked:
            return False
        self.blocked[media_id] = note
        return True

    async def blocked_among(self, media_ids: Sequence[str]) -> list[str]:
        return [m for m in media_ids if m in self.blocked]

    async def erase_owner(self, owner_id: int) -> int:
        mine = [m for m, (owner, _) in self.uploads.items() if owner == owner_id and m not in self.released]
        self.released.update(mine)
        return len(mine)

    async def owned(self, owner_id: int) -> list[MediaView]:
        return [self._view(m) for m, (owner, _) in self.uploads.items()
                if owner == owner_id and m not in self.released]

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
