"""The media room's service: uploads through the image pipeline, who may read what, the lifecycle
of attachments, and the sweeper that deletes what is no longer needed.

Order of writes: the variants go to storage first, then the row is committed. A failure between
the two leaves objects without a row, which the sweeper deletes once they are older than
``MEIJI_UPLOAD_TTL``; a row never points at objects that were not written.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO

import anyio
import anyio.to_thread
from PIL import Image
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from kernel.clock import now
from kernel.settings import Settings
from kernel.web.auth import Principal
from kernel.web.problems import Problem, not_found
from media import images
from media.interfaces import Attachments, CaseAccess, MediaError, MediaView, Storage, StorageError, Variant
from media.models import ATTACHED, PENDING, RELEASED, Upload, UploadQuota
from media.storage import build_storage, check_key

log = logging.getLogger("meiji.media")

SERVED = (PENDING, ATTACHED)
_SWEEP_BATCH = 200
# Listing a whole bucket is slow and billed per 1,000 keys: reconcile hourly, not every minute.
RECONCILE_SECONDS = 3600


def new_id() -> str:
    """128 random bits in lowercase base32: unguessable, and safe as a path on any file system."""
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def variant_key(media_id: str, name: str) -> str:
    return f"{media_id}/{name}.webp"


def unavailable(exc: Exception) -> Problem:
    log.warning("storage call failed: %s", exc)
    return Problem(503, "The media storage is unavailable; nothing was stored. Try again later.",
                   headers={"Retry-After": "30"})


@dataclass(frozen=True)
class Reader:
    """Who asks to read an upload: a principal, a legal case's token, both or neither."""

    principal: Principal | None = None
    case_token: str | None = None


class MediaService:
    """``media.interfaces.Attachments`` over the ``Upload`` table and a ``Storage``."""

    def __init__(self, storage: Storage, settings: Settings) -> None:
        self.storage = storage
        self.settings = settings
        # At most ``image_workers`` images are decoded at once: a burst of uploads waits in this
        # pool's queue holding only its spooled temporary file, never a decoded image. Its own
        # threads keep every decoded image in the same few malloc arenas, where the memory one
        # upload frees serves the next (spread over a general thread pool, each thread's arena
        # keeps its own high-water mark).
        self.workers = ThreadPoolExecutor(settings.image_workers, thread_name_prefix="meiji-image")
        self.reconciled_at: datetime | None = None
        # Pillow's own bomb check (a warning, an error at twice the limit) must not undercut ours.
        Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, settings.max_upload_pixels)

    # --- uploads ----------------------------------------------------------------------------

    async def fingerprint(self, file: IO[bytes]) -> tuple[str, int]:
        """The SHA-256 and size of an uploaded file."""
        return await anyio.to_thread.run_sync(images.sha256_of, file)

    async def check_quota(self, owner_id: int, size: int) -> None:
        """429 when one more upload of ``size`` bytes would pass the member's daily quotas."""
        quota = await UploadQuota.get_or_none(owner_id=owner_id, day=now().date())
        count, used = (quota.count, quota.bytes) if quota else (0, 0)
        s = self.settings
        if count + 1 > s.uploads_per_day or used + size > s.upload_bytes_per_day:
            moment = now()
            midnight = datetime(moment.year, moment.month, moment.day, tzinfo=UTC) + timedelta(days=1)
            retry = max(1, int((midnight - moment).total_seconds()))
            raise Problem(429, f"Daily upload quota reached ({s.uploads_per_day} files, "
                               f"{s.upload_bytes_per_day // (1024 * 1024)} MB); it resets at 00:00 UTC.",
                          headers={"Retry-After": str(retry)})

    async def _count(self, owner_id: int, size: int) -> None:
        day = now().date()
        changes = {"count": F("count") + 1, "bytes": F("bytes") + size}
        if await UploadQuota.filter(owner_id=owner_id, day=day).update(**changes):
            return
        try:
            await UploadQuota.create(owner_id=owner_id, day=day, count=1, bytes=size)
        except IntegrityError:
            # Another upload of the same member created today's row first.
            await UploadQuota.filter(owner_id=owner_id, day=day).update(**changes)

    async def upload(self, file: IO[bytes], *, owner_id: int | None, purpose: str, sha256: str,
                     size: int) -> Upload:
        """Render ``file``'s variants, store them, then record the upload as pending."""
        if owner_id is not None:
            await self.check_quota(owner_id, size)
        try:
            rendered = await asyncio.get_running_loop().run_in_executor(
                self.workers, images.render, file, self.settings.max_upload_pixels)
        except images.ImageRejected as exc:
            raise Problem(exc.status, exc.detail) from None
        media_id = new_id()
        keys = [variant_key(media_id, r.name) for r in rendered.renditions]
        try:
            async with anyio.create_task_group() as group:
                for key, rendition in zip(keys, rendered.renditions, strict=True):
                    group.start_soon(self.storage.put, key, rendition.data, images.CONTENT_TYPE)
        except* (StorageError, OSError) as group_error:
            await self._delete_objects(keys)
            raise unavailable(group_error.exceptions[0]) from None
        variants = {r.name: {"key": key, "width": r.width, "height": r.height, "bytes": len(r.data)}
                    for key, r in zip(keys, rendered.renditions, strict=True)}
        try:
            upload = await Upload.create(id=media_id, owner_id=owner_id, purpose=purpose, status=PENDING,
                                         width=rendered.width, height=rendered.height, bytes=size, sha256=sha256,
                                         variants=variants, created_at=now())
        except BaseException:
            await self._delete_objects(keys)
            raise
        if owner_id is not None:
            await self._count(owner_id, size)
        return upload

    async def _delete_objects(self, keys: Sequence[str]) -> bool:
        """Delete objects; False (and logged) when the storage failed, for the sweeper to retry."""
        try:
            for key in keys:
                await self.storage.delete(key)
        except (StorageError, OSError) as exc:
            log.warning("could not delete objects %s: %s", keys[0] if keys else "", exc)
            return False
        return True

    # --- reading ----------------------------------------------------------------------------

    def served(self, upload: Upload) -> bool:
        """Whether the upload's variants are public: a visible post or avatar upload not yet released."""
        return upload.status in SERVED and upload.visible and upload.purpose != "evidence"

    async def may_read(self, upload: Upload, reader: Reader, case_access: CaseAccess | None) -> bool:
        """The uploader and moderators always; a case token for evidence it opens; anyone when served."""
        if upload.status not in SERVED:
            return False
        principal = reader.principal
        if principal is not None and (principal.is_moderator or principal.id == upload.owner_id):
            return True
        if upload.purpose == "evidence":
            return (reader.case_token is not None and upload.status == ATTACHED and upload.holder is not None
                    and case_access is not None and await case_access.may_read(upload.holder, reader.case_token))
        return self.served(upload)

    async def readable(self, media_id: str, reader: Reader, case_access: CaseAccess | None) -> Upload:
        """The upload if ``reader`` may read it; 404 otherwise (even to say it exists)."""
        upload = await Upload.get_or_none(id=media_id) if len(media_id) <= 40 else None
        if upload is None or not await self.may_read(upload, reader, case_access):
            raise not_found("media")
        return upload

    async def public_variant(self, key: str) -> tuple[Upload, str]:
        """The upload and variant name behind a public object key; 404 unless it is served."""
        media_id, _, file = key.partition("/")
        name = file.removesuffix(".webp")
        upload = await Upload.get_or_none(id=media_id) if len(media_id) <= 40 else None
        if upload is None or not self.served(upload) or upload.variants.get(name, {}).get("key") != key:
            raise not_found("media")
        return upload, name

    async def variant_url(self, upload: Upload, name: str, public: bool) -> str:
        key = str(upload.variants[name]["key"])
        base = self.settings.public_url
        if not public:
            # Evidence, and anything not served, only through an authorised route of the app.
            return f"{base}/v1/media/{upload.id}/variants/{name}"
        return await self.storage.url(key) or f"{base}/media/{key}"

    async def view(self, upload: Upload, public: bool | None = None) -> MediaView:
        """The upload as other rooms show it; private URLs unless it is served (or ``public`` says)."""
        public = self.served(upload) if public is None else public
        variants = {}
        for name, spec in upload.variants.items():
            variants[name] = Variant(await self.variant_url(upload, name, public), int(str(spec["width"])),
                                     int(str(spec["height"])))
        return MediaView(upload.id, upload.width, upload.height, upload.bytes, upload.sha256, upload.purpose,
                         variants)

    # --- Attachments --------------------------------------------------------------------------

    async def attach(self, holder: str, media_ids: Sequence[str], *, owner_id: int | None,
                     purposes: Sequence[str] = ("post",)) -> list[MediaView]:
        """Attach pending uploads of ``owner_id`` to ``holder``; MediaError names the first bad id."""
        ids = list(dict.fromkeys(media_ids))
        moment = now()
        cutoff = moment - timedelta(seconds=self.settings.upload_ttl_seconds)
        async with in_transaction():
            rows = {u.id: u for u in await Upload.filter(id__in=ids)} if ids else {}
            for media_id in ids:
                row = rows.get(media_id)
                if row is None or row.status == RELEASED or row.owner_id != owner_id:
                    raise MediaError(media_id, "no such upload of yours")
                if row.purpose not in purposes:
                    raise MediaError(media_id, f"an upload made for {row.purpose} cannot be used here")
                if row.status == ATTACHED and row.holder != holder:
                    raise MediaError(media_id, "already attached elsewhere")
                if row.status == PENDING and row.created_at < cutoff:
                    raise MediaError(media_id, "the upload has expired; upload the image again")
            # New media of a hidden holder stay hidden with it.
            visible = not await Upload.filter(holder=holder, status=ATTACHED, visible=False).exists()
            for media_id in ids:
                row = rows[media_id]
                if row.status != PENDING:
                    continue
                changed = await Upload.filter(id=media_id, status=PENDING).update(
                    status=ATTACHED, holder=holder, visible=visible, attached_at=moment)
                if not changed:
                    raise MediaError(media_id, "already attached elsewhere")
                row.status, row.holder, row.visible, row.attached_at = ATTACHED, holder, visible, moment
        return [await self.view(rows[m]) for m in ids]

    async def replace(self, holder: str, media_ids: Sequence[str], *, owner_id: int | None,
                      purposes: Sequence[str] = ("post",)) -> list[MediaView]:
        """Make ``media_ids`` the holder's media: attach new ones, release those no longer listed."""
        async with in_transaction():
            views = await self.attach(holder, media_ids, owner_id=owner_id, purposes=purposes)
            await (Upload.filter(holder=holder, status=ATTACHED).exclude(id__in=list(media_ids) or [""])
                   .update(status=RELEASED, released_at=now()))
        return views

    async def release(self, holder: str) -> None:
        """The holder is gone: stop serving its media at once; the sweeper deletes the objects."""
        await Upload.filter(holder=holder, status=ATTACHED).update(status=RELEASED, released_at=now())

    async def set_visible(self, holder: str, visible: bool) -> None:
        """Stop (hidden, removed) or resume (restored) serving the holder's media."""
        await Upload.filter(holder=holder, status=ATTACHED).update(visible=visible)

    async def views(self, media_ids: Sequence[str]) -> dict[str, MediaView]:
        """Served media among ``media_ids`` with their variant URLs; others are absent."""
        ids = [m for m in dict.fromkeys(media_ids) if m and len(m) <= 40]
        if not ids:
            return {}
        rows = await Upload.filter(id__in=ids, status__in=SERVED, visible=True)
        return {row.id: await self.view(row) for row in rows}

    async def erase_owner(self, owner_id: int) -> int:
        """Account deletion: stop serving and delete every upload of the owner; returns how many."""
        count = await Upload.filter(owner_id=owner_id, status__in=SERVED).update(status=RELEASED, released_at=now())
        await UploadQuota.filter(owner_id=owner_id).delete()
        return count

    async def owned(self, owner_id: int) -> list[MediaView]:
        """Every upload of the owner that still exists (for the data export)."""
        rows = await Upload.filter(owner_id=owner_id, status__in=SERVED).order_by("created_at")
        return [await self.view(row) for row in rows]

    async def delete(self, media_id: str, principal: Principal) -> None:
        """The owner deletes an upload that is not attached: gone at once, objects with it."""
        upload = await Upload.get_or_none(id=media_id) if len(media_id) <= 40 else None
        if upload is None or upload.status == RELEASED or upload.owner_id != principal.id:
            raise not_found("media")
        changed = await Upload.filter(id=media_id, status=PENDING).update(status=RELEASED, released_at=now())
        if not changed:
            raise Problem(409, "This upload is attached to a post; remove it from the post instead.")
        if await self._delete_objects([str(v["key"]) for v in upload.variants.values()]):
            await Upload.filter(id=media_id).delete()

    async def ping(self) -> None:
        """Raise when the storage cannot be reached."""
        await self.storage.ping()

    # --- the sweeper ---------------------------------------------------------------------------

    async def sweep(self) -> int:
        """Delete released uploads and expired pending ones with their objects, then (hourly) objects
        that no row knows of and that are older than the TTL; returns how many uploads were removed."""
        moment = now()
        cutoff = moment - timedelta(seconds=self.settings.upload_ttl_seconds)
        # Expired pending uploads stop being served first; the deletion below follows.
        await Upload.filter(status=PENDING, created_at__lt=cutoff).update(status=RELEASED, released_at=moment)
        removed = 0
        done: set[str] = set()
        while True:
            rows = await Upload.filter(status=RELEASED).exclude(id__in=list(done) or [""]).limit(_SWEEP_BATCH)
            if not rows:
                break
            for row in rows:
                done.add(row.id)
                if await self._delete_objects([str(v["key"]) for v in row.variants.values()]):
                    await Upload.filter(id=row.id, status=RELEASED).delete()
                    removed += 1
        if self.reconciled_at is None or (moment - self.reconciled_at).total_seconds() >= RECONCILE_SECONDS:
            removed += await self._reconcile(cutoff.timestamp())
            self.reconciled_at = moment
        await UploadQuota.filter(day__lt=(moment - timedelta(days=2)).date()).delete()
        return removed

    async def _reconcile(self, older_than: float) -> int:
        """Delete objects whose upload has no row, once they are older than ``older_than``."""
        orphans: dict[str, list[str]] = {}
        batch: dict[str, list[str]] = {}

        async def settle() -> None:
            known: set[str] = {str(v) for v in await Upload.filter(id__in=list(batch)).values_list("id", flat=True)}
            for media_id, keys in batch.items():
                if media_id not in known:
                    orphans.setdefault(media_id, []).extend(keys)
            batch.clear()

        try:
            async for key, mtime in self.storage.keys():
                media_id = key.partition("/")[0]
                if not _is_key(key):
                    continue  # not a key this service makes: not ours to delete
                if mtime < older_than and media_id:
                    batch.setdefault(media_id, []).append(key)
                    if len(batch) >= 500:
                        await settle()
        except (StorageError, OSError) as exc:
            log.warning("could not list the storage to reconcile it: %s", exc)
            return 0
        if batch:
            await settle()
        removed = 0
        for media_id, keys in orphans.items():
            if await self._delete_objects(keys):
                removed += 1
                log.info("deleted %d objects of %s, which has no upload row", len(keys), media_id)
        return removed


def _is_key(key: str) -> bool:
    try:
        check_key(key)
    except ValueError:
        return False
    return True


def build_attachments(settings: Settings) -> Attachments:
    """The attachment service over the storage named by ``MEIJI_STORAGE_URL``."""
    return MediaService(build_storage(settings), settings)


async def sweep(attachments: Attachments, settings: Settings) -> int:
    """Delete released and expired uploads with their objects; returns how many."""
    if isinstance(attachments, MediaService):
        return await attachments.sweep()
    return 0
