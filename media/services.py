"""The media room's service: uploads through the image pipeline, who may read what, the lifecycle
of attachments, and the sweeper that deletes what is no longer needed.

Order of writes: the variants go to storage first, then the row is committed. A failure between
the two leaves objects without a row, which the sweeper deletes once they are older than
``MEIJI_UPLOAD_TTL``; a row never points at objects that were not written.

Every upload keeps its variants privately, under a key with a secret part that is never handed out
(``<id>/<secret>/<variant>.webp``). While it is *published* (attached to a visible holder), public
copies live under ``public/<id>/<token>/<variant>.webp``, and only those are given out as URLs. A
takedown forgets the token (the app stops serving at once), deletes the public copies (presigned and
CDN URLs then answer 404 from the bucket) and asks the CDN to purge them; a restore copies the
private variants again under a new token, so URLs handed out before the takedown stay dead.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import hashlib
import io
import logging
import os
import re
import secrets
from collections.abc import AsyncIterator, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import IO, Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
from PIL import Image
from tortoise.transactions import in_transaction

from kernel import db
from kernel.caches import MISSING, Kept
from kernel.clock import now
from kernel.rows import Row, decode, fetch, fetch_sql, fetch_sql_records
from kernel.settings import Settings
from kernel.web.auth import Principal
from kernel.web.problems import Problem, not_found
from media import fingerprints, images
from media.interfaces import (
    PUBLIC_CACHE,
    Attachments,
    CaseAccess,
    MediaError,
    MediaView,
    PhotoReview,
    PhotoState,
    Storage,
    StorageError,
    Takedown,
    Variant,
)
from media.keys import check_key
from media.models import (
    ATTACHED,
    BLOCKED,
    HELD,
    PENDING,
    RELEASED,
    REMOVED,
    TAKEDOWNS,
    TAKEN_DOWN,
    DeadCopy,
    Fingerprint,
    Upload,
    UploadQuota,
)
from media.purge import Purger
from media.storage import LocalStorage, build_storage

log = logging.getLogger("meiji.media")
# Uploads attached inside ``MediaService.publishing_after``, published when it ends.
_publish_later: ContextVar[list[Upload] | None] = ContextVar("meiji_publish_later", default=None)

SERVED = (PENDING, ATTACHED)
_SWEEP_BATCH = 200
# Listing a whole bucket is slow and billed per 1,000 keys: reconcile hourly, not every minute.
RECONCILE_SECONDS = 3600
VIEW_SECONDS = 1.0  # how long a photo's view is shown again (``MediaService.view``)
# The columns a view is built from: a page's photos are read without the others (three dates).
VIEWED = ("id", "status", "visible", "purpose", "public_token", "width", "height", "variants", "takedown",
          "takedown_case_id", "takedown_reason")
VIEW_CACHE = 1_000  # views kept at most (a second's worth of pages); all are dropped when it fills


@functools.lru_cache(maxsize=256)
def _viewed(count: int) -> str:
    """The statement that reads what ``views`` shows of ``count`` uploads, written once per count:
    every page with photos runs it, and built through Tortoise it cost as much as SQLite took."""
    columns = ", ".join(f'"{column}"' for column in VIEWED)
    return f'SELECT {columns} FROM "media_upload" WHERE "id" IN ({", ".join("?" * count)})'  # noqa: S608 - constants


PUBLIC = "public"
# The reason an upload held for review shows (``MEIJI_FINGERPRINT_ACTION=review``).
HELD_REASON = "matches_removed_photo"
# Photo URLs handed out by this service, matched against a path on one of our hosts: a public copy
# (``…/media/public/<id>/<token>/<variant>.webp``, behind any path prefix of MEIJI_PUBLIC_URL),
# the upload itself or one of its variants through the authorised route.
_PHOTO_PATHS = (
    re.compile(r"(?:^|/)media/public/([A-Za-z0-9]{1,40})/[A-Za-z0-9]{1,40}/(?:thumb|medium|large)\.webp$"),
    re.compile(r"(?:^|/)v1/media/([A-Za-z0-9]{1,40})(?:/variants/(?:thumb|medium|large))?/?$"),
)
# Under MEIJI_CDN_URL: ``<cdn>/<prefix>/public/<id>/<token>/<variant>.webp``.
_CDN_PATH = re.compile(r"^/(?:.*/)?public/([A-Za-z0-9]{1,40})/[A-Za-z0-9]{1,40}/(?:thumb|medium|large)\.webp$")
# A dead copy's CDN purge is given up after this many failed attempts: by then every cache has
# let the copy lapse (published copies are cached for minutes, ``PUBLIC_CACHE``).
PURGE_ATTEMPTS = 10
PURGE_BATCH = 100
# Uploads up to this size are hashed on the loop's thread (about 0.4 ms), larger ones on a worker.
HASH_INLINE_BYTES = 256 * 1024


def new_id() -> str:
    """128 random bits in lowercase base32: unguessable, and safe as a path on any file system."""
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def new_secret() -> str:
    """80 random bits in lowercase base32: the unguessable part of an object key."""
    return base64.b32encode(secrets.token_bytes(10)).decode().lower()


def variant_key(media_id: str, secret: str, name: str) -> str:
    """Where a variant is kept privately: never handed out, so even a CDN that fronts the whole
    bucket cannot be asked for it by someone who knows the upload's id."""
    return f"{media_id}/{secret}/{name}.webp"


def public_key(media_id: str, token: str, name: str) -> str:
    """Where a published variant's copy lives while the upload is served."""
    return f"{PUBLIC}/{media_id}/{token}/{name}.webp"


def public_keys(upload: Upload) -> list[str]:
    token = upload.public_token
    return [public_key(upload.id, token, name) for name in upload.variants] if token else []


def private_keys(upload: Upload) -> list[str]:
    return [str(v["key"]) for v in upload.variants.values()]


def _phash_bytes(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as im:
        return fingerprints.phash(im)


def takedown_of(upload: Upload | Row) -> Takedown | None:
    return Takedown(upload.takedown, upload.takedown_case_id, upload.takedown_reason) if upload.takedown else None


def takedown_problem(upload: Upload) -> Problem:
    """What a removed photo's URLs answer, as a removed post does: 451 ``{case_id, reason}`` when a
    legal notice removed it, 410 ``{reason}`` for a policy reason."""
    if upload.takedown_case_id:
        return Problem(451, "This photo was removed after a legal notice.",
                       extra={"case_id": upload.takedown_case_id, "reason": upload.takedown_reason})
    return Problem(410, "This photo was removed for breaking the community rules.",
                   extra={"reason": upload.takedown_reason})


def unavailable(exc: Exception) -> Problem:
    log.warning("storage call failed: %s", exc)
    return Problem(503, "The media storage is unavailable; nothing was stored. Try again later.",
                   headers={"Retry-After": "30"})


@dataclass(frozen=True)
class Reader:
    """Who asks to read an upload: a principal, a legal case's token, both or neither."""

    principal: Principal | None = None
    case_token: str | None = None


# What a member uploaded today, asked before every upload (a statement written once).
_QUOTA = "SELECT count, bytes FROM media_upload_quota WHERE owner_id = ? AND day = ?"
# Two first uploads of a day at once: the second adds to the row the first inserted.
# Counted only within the quotas: of uploads rendered at once, those past the day's quota find no row
# to update (the WHERE of the upsert), return nothing, and are refused with their objects deleted.
_COUNT = ("INSERT INTO media_upload_quota (owner_id, day, count, bytes) VALUES (?, ?, 1, ?) "
          "ON CONFLICT (owner_id, day) DO UPDATE SET count = media_upload_quota.count + 1, "
          "bytes = media_upload_quota.bytes + excluded.bytes "
          "WHERE media_upload_quota.count + 1 <= ? AND media_upload_quota.bytes + excluded.bytes <= ? "
          "RETURNING count")


def _today() -> date | str:
    """Today's UTC date as the database takes it: SQLite keeps Tortoise's dates as ISO text, asyncpg
    wants a date."""
    day = now().date()
    return day.isoformat() if db.dialect() == "sqlite" else day


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
        self.purger = Purger(settings.cdn_purge_url)
        # Serialises retries of dead copies (the sweeper and the purge started by a takedown).
        self.dead_lock = asyncio.Lock()
        # Purges started by takedowns run after the call returns; kept here so they are not collected.
        self.tasks: set[asyncio.Task[int]] = set()
        # Pillow's own bomb check (a warning, an error at twice the limit) must not undercut ours.
        Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, settings.max_upload_pixels)
        # Views built in the last second, by everything that decides what they show (``view``).
        self._views: Kept[tuple[object, ...], MediaView] = Kept(VIEW_CACHE, VIEW_SECONDS)
        # The same by the row's stored values, for ``views``: the view or None (nothing shown).
        self._shown: Kept[Hashable, MediaView | None] = Kept(VIEW_CACHE, VIEW_SECONDS)

    # --- uploads ----------------------------------------------------------------------------

    async def fingerprint(self, file: IO[bytes]) -> tuple[str, int]:
        """The SHA-256 and size of an uploaded file: a small one (a photo compressed by the app) on
        the loop's thread, where hashing costs less than a hand-over to a worker under load."""
        file.seek(0, os.SEEK_END)
        if file.tell() <= HASH_INLINE_BYTES:
            return images.sha256_of(file)
        return await anyio.to_thread.run_sync(images.sha256_of, file)

    async def check_quota(self, owner_id: int, size: int) -> None:
        """429 when one more upload of ``size`` bytes would pass the member's daily quotas."""
        rows = await fetch_sql(UploadQuota, _QUOTA, [owner_id, _today()])
        count, used = (rows[0].count, rows[0].bytes) if rows else (0, 0)
        s = self.settings
        if count + 1 > s.uploads_per_day or used + size > s.upload_bytes_per_day:
            raise self._over_quota()

    def _over_quota(self) -> Problem:
        s = self.settings
        moment = now()
        midnight = datetime(moment.year, moment.month, moment.day, tzinfo=UTC) + timedelta(days=1)
        retry = max(1, int((midnight - moment).total_seconds()))
        return Problem(429, f"Daily upload quota reached ({s.uploads_per_day} files, "
                            f"{s.upload_bytes_per_day // (1024 * 1024)} MB); it resets at 00:00 UTC.",
                       headers={"Retry-After": str(retry)})

    async def _count(self, owner_id: int, size: int) -> None:
        """One more upload of ``size`` bytes today, in one statement (in the upload's transaction:
        an upload is recorded and counted together, or neither); 429 when it would pass a quota,
        which ``check_quota`` found free before the image was rendered but another upload took."""
        s = self.settings
        rows = await db.connection().execute_query_dict(
            db.placeholders(_COUNT), [owner_id, _today(), size, s.uploads_per_day, s.upload_bytes_per_day])
        if not rows:
            raise self._over_quota()

    async def upload(self, file: IO[bytes], *, owner_id: int | None, purpose: str, size: int,
                     sha256: str | None = None, review: PhotoReview | None = None) -> Upload:
        """Render ``file``'s variants, store them, then record the upload as pending.

        A photo close to one removed on a legal notice is refused (422 naming the case), or with
        ``MEIJI_FINGERPRINT_ACTION=review`` stored held (``takedown`` ``hidden``) and handed to
        ``review``, which files it for moderators.

        ``sha256`` (the original file's digest) is accepted from callers that computed it, and
        ignored: nothing of the original file is kept, its digest included.
        """
        del sha256
        if owner_id is not None:
            await self.check_quota(owner_id, size)
        try:
            rendered = await asyncio.get_running_loop().run_in_executor(
                self.workers, images.render, file, self.settings.max_upload_pixels)
        except images.ImageRejected as exc:
            raise Problem(exc.status, exc.detail) from None
        # Evidence is exempt: a rights holder sends the very photo they want removed.
        match = await self.refuse_removed(rendered.phash) if purpose != "evidence" else None
        media_id, secret = new_id(), new_secret()
        keys = [variant_key(media_id, secret, r.name) for r in rendered.renditions]
        try:
            await self.storage.put_all({key: rendition.data for key, rendition in
                                        zip(keys, rendered.renditions, strict=True)}, images.CONTENT_TYPE)
        except (StorageError, OSError) as exc:
            await self._delete_objects(keys)
            raise unavailable(exc) from None
        # Sizes and digests of what is stored, stripped of metadata: the original's would link the
        # same photo across an anonymous and a named post, and confirm who holds a known original.
        variants = {r.name: {"key": key, "width": r.width, "height": r.height, "bytes": len(r.data),
                             "sha256": hashlib.sha256(r.data).hexdigest()}
                    for key, r in zip(keys, rendered.renditions, strict=True)}
        largest = variants["large"]
        try:
            # A held upload and its queue item are one write: never a photo held with nobody told.
            async with in_transaction():
                upload = await Upload.create(id=media_id, owner_id=owner_id, purpose=purpose, status=PENDING,
                                             width=rendered.width, height=rendered.height, bytes=largest["bytes"],
                                             sha256=largest["sha256"], variants=variants, created_at=now(),
                                             phash=rendered.phash or None, takedown=HELD if match else None,
                                             takedown_case_id=match.case_id if match else None,
                                             takedown_reason=HELD_REASON if match else None)
                if match is not None and review is not None:
                    await review.held(upload.id, owner_id=owner_id, case_id=match.case_id, distance=match.distance)
                if owner_id is not None:
                    await self._count(owner_id, size)
        except BaseException:
            await self._delete_objects(keys)
            raise
        return upload

    async def refuse_removed(self, phash: str) -> fingerprints.Match | None:
        """422 naming the case when the photo is within ``MEIJI_FINGERPRINT_DISTANCE`` of one removed
        on a legal notice; with ``MEIJI_FINGERPRINT_ACTION=review``, the match (the upload is held
        instead). Only the case id is named: never the removed post, its author or upload."""
        if not phash:
            return None
        match = await fingerprints.closest(phash, self.settings.fingerprint_distance)
        if match is not None and self.settings.fingerprint_action == "review":
            return match
        if match is not None:
            raise Problem(422, f"This photo was removed on a legal notice (case {match.case_id}) and cannot be "
                               "uploaded again.",
                          errors=[{"field": "file", "message": "matches a photo removed on a legal notice"}],
                          extra={"case_id": match.case_id})
        return None

    async def remember_removed(self, media_ids: Sequence[str], *, case_id: str) -> int:
        """Keep the perceptual hashes of photos removed on a legal notice; returns how many were kept.
        Uploads rendered before hashes were kept are hashed from their stored ``thumb`` variant."""
        kept = 0
        for row in await Upload.filter(id__in=[m for m in media_ids if m and len(m) <= 40]):
            value = row.phash or await self._phash_of_stored(row)
            if value is None:
                continue
            await fingerprints.remember(value, media_id=row.id, case_id=case_id)
            kept += 1
        return kept

    async def forget_removed(self, media_ids: Sequence[str], *, case_id: str) -> int:
        """The case no longer holds these photos removed (withdrawn, restored): uploads of them are
        accepted again. Returns how many hashes were dropped."""
        ids = [m for m in media_ids if m and len(m) <= 40]
        if not ids:
            return 0
        return await Fingerprint.filter(media_id__in=ids, case_id=case_id, reason=REMOVED).delete()

    async def block_photo(self, media_id: str, *, note: str) -> bool:
        """List an upload as a clinic's marketing image; False when it is listed already."""
        row = await Upload.get_or_none(id=media_id) if media_id and len(media_id) <= 40 else None
        if row is None or row.status == RELEASED:
            raise MediaError(media_id, "no such upload")
        value = row.phash or await self._phash_of_stored(row)
        if value is None:
            raise MediaError(media_id, "the upload's image cannot be read from storage; try again later")
        return await fingerprints.remember(value, media_id=row.id, case_id=None, reason=BLOCKED, note=note)

    async def blocked_among(self, media_ids: Sequence[str]) -> list[str]:
        """Those of ``media_ids`` within ``MEIJI_FINGERPRINT_DISTANCE`` of a listed marketing image."""
        found = []
        for row in await Upload.filter(id__in=[m for m in media_ids if m and len(m) <= 40], phash__isnull=False):
            if await fingerprints.closest(str(row.phash), self.settings.fingerprint_distance, reason=BLOCKED):
                found.append(row.id)
        return sorted(found, key=list(media_ids).index)

    async def _phash_of_stored(self, row: Upload) -> str | None:
        spec = row.variants.get("thumb") or row.variants.get("large")
        if spec is None:
            return None
        try:
            data = await self.storage.get(str(spec["key"]))
        except (FileNotFoundError, StorageError, OSError) as exc:
            log.warning("could not hash removed upload %s: %s", row.id, exc)
            return None
        value = await anyio.to_thread.run_sync(_phash_bytes, data)
        await Upload.filter(id=row.id).update(phash=value)
        return value

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

    def served(self, upload: Upload | Row) -> bool:
        """Whether the upload's variants are public: a post or avatar upload attached to a visible
        holder, with its public copies in place. Unattached uploads are their uploader's alone."""
        return (upload.status == ATTACHED and upload.visible and upload.purpose != "evidence"
                and upload.takedown is None and upload.public_token is not None)

    def shows_placeholder(self, upload: Upload | Row) -> bool:
        """Whether readers of the upload's holder see a placeholder in its place: a photo removed on
        its own, in a post (or profile) that is itself visible."""
        return (upload.status == ATTACHED and upload.visible and upload.purpose != "evidence"
                and upload.takedown == TAKEN_DOWN)

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
            if upload is not None and self.shows_placeholder(upload):
                raise takedown_problem(upload)
            raise not_found("media")
        return upload

    async def public_variant(self, media_id: str, token: str, name: str) -> tuple[Upload, str]:
        """The upload and the public copy's key behind a public file URL; 404 unless it is served
        under that very token (a URL from before a takedown names a token that is gone)."""
        upload = await Upload.get_or_none(id=media_id) if len(media_id) <= 40 else None
        if upload is not None and self.shows_placeholder(upload):
            # Whatever token the URL names: the photo itself was taken down, as a removed post is.
            raise takedown_problem(upload)
        if (upload is None or not self.served(upload) or not secrets.compare_digest(upload.public_token or "", token)
                or name not in upload.variants):
            raise not_found("media")
        return upload, public_key(upload.id, token, name)

    async def variant_url(self, upload: Upload | Row, name: str, public: bool) -> str:
        base = self.settings.public_url
        if not public or upload.public_token is None:
            # Evidence, and anything not served, only through an authorised route of the app.
            return f"{base}/v1/media/{upload.id}/variants/{name}"
        key = public_key(upload.id, upload.public_token, name)
        return await self.storage.url(key) or f"{base}/media/{key}"

    async def view(self, upload: Upload | Row, public: bool | None = None, *,
                   placeholder: bool = False) -> MediaView:
        """The upload as other rooms show it; private URLs unless it is served (or ``public`` says).
        ``placeholder``: a photo removed on its own, as readers see it: no variants, the case and
        the reason (``takedown``).

        A page of diaries shows a hundred photos or more: a view built in the last second
        (``VIEW_SECONDS``) for the same upload in the same state is shown again. Its key holds
        everything that decides what a view shows (served or not, the public token, the takedown),
        so a photo taken down or published again never shows a view of its former state."""
        public = self.served(upload) if public is None else public
        key = (upload.id, public, placeholder, upload.public_token, upload.takedown, upload.takedown_case_id,
               upload.takedown_reason, upload.variants.get("large", {}).get("sha256"))
        cached = self._views.get(key)
        if cached is not MISSING:
            return cached
        return self._views.put(key, await self._build_view(upload, public, placeholder))

    async def _build_view(self, upload: Upload | Row, public: bool, placeholder: bool) -> MediaView:
        variants = {}
        for name, spec in upload.variants.items() if not placeholder else ():
            variants[name] = Variant(await self.variant_url(upload, name, public), int(str(spec["width"])),
                                     int(str(spec["height"])))
        largest = upload.variants.get("large", {})
        return MediaView(id=upload.id, width=upload.width, height=upload.height,
                         bytes=int(str(largest.get("bytes", 0))), sha256=str(largest.get("sha256", "")),
                         purpose=upload.purpose, variants=variants, takedown=takedown_of(upload))

    async def digest(self, upload: Upload) -> tuple[int, str]:
        """Size and SHA-256 of the stored ``large`` variant. Uploads made before digests of the
        variants were kept have them computed from storage once (their row held the original's)."""
        largest = upload.variants["large"]
        if largest.get("sha256"):
            return int(str(largest["bytes"])), str(largest["sha256"])
        try:
            data = await self.storage.get(str(largest["key"]))
        except FileNotFoundError:
            raise not_found("media") from None
        except (StorageError, OSError) as exc:
            raise unavailable(exc) from None
        largest.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
        await Upload.filter(id=upload.id).update(variants=upload.variants, bytes=len(data),
                                                 sha256=str(largest["sha256"]))
        return len(data), str(largest["sha256"])

    # --- publishing and taking down -----------------------------------------------------------

    async def _publish(self, rows: Sequence[Upload]) -> None:
        """Copy the variants of attached, visible uploads to public keys under a new token.

        The token is recorded only if the upload is still attached, visible and unpublished, so a
        takedown that ran meanwhile wins and the copies are deleted again. A storage failure leaves
        the upload unpublished (not served) for the sweeper to publish later.
        """
        for row in rows:
            if (not (row.status == ATTACHED and row.visible and row.purpose != "evidence") or row.public_token
                    or row.takedown is not None):
                continue
            token = new_secret()
            copies = {public_key(row.id, token, name): str(spec["key"]) for name, spec in row.variants.items()}
            if not await self._copy(row.id, copies):
                continue
            if await Upload.filter(id=row.id, status=ATTACHED, visible=True, public_token__isnull=True,
                                   takedown__isnull=True).update(public_token=token):
                row.public_token = token
            else:
                await self._delete_objects(list(copies))

    async def _copy(self, media_id: str, copies: dict[str, str]) -> bool:
        """Make the public copies (target: source) at once; False (logged, nothing left) on failure."""
        try:
            await self.storage.copy_all(copies, PUBLIC_CACHE)
            return True
        except (StorageError, OSError) as failure:
            log.warning("could not publish %s (the sweeper tries again): %s", media_id, failure)
        await self._delete_objects(list(copies))
        return False

    async def _take_down(self, ids: Sequence[str], **changes: object) -> None:
        """Apply ``changes`` (hidden, released) and unpublish: serving stops with the token, then the
        public copies are deleted and the CDN is asked to purge them. Any of that failing is kept in
        ``DeadCopy`` for the sweeper; it never fails the takedown."""
        if not ids:
            return
        # First the change that no publication can pass, then the tokens: a publication finishing
        # in between is either seen here or refused by its own conditional update.
        await Upload.filter(id__in=list(ids)).update(**changes)
        published = await Upload.filter(id__in=list(ids), public_token__isnull=False)
        if not published:
            return
        await Upload.filter(id__in=[row.id for row in published]).update(public_token=None)
        keys = [key for row in published for key in public_keys(row)]
        urls = [url for key in keys if (url := await self._cached_url(key))] if self.purger.enabled else []
        left: list[str] = []

        async def drop(key: str) -> None:
            if not await self._delete_objects([key]):
                left.append(key)

        # At once: a post's photos are a few dozen objects, each delete a round trip to S3.
        async with anyio.create_task_group() as group:
            for key in keys:
                group.start_soon(drop, key)
        if left or urls:
            # A purge request names at most PURGE_BATCH URLs: CDNs' purge APIs cap a call's list.
            batches = [urls[i:i + PURGE_BATCH] for i in range(0, len(urls), PURGE_BATCH)] or [[]]
            for n, batch in enumerate(batches):
                await DeadCopy.create(keys=left if n == 0 else [], urls=batch, created_at=now())
        if urls and not left:
            task = asyncio.get_running_loop().create_task(self.clear_dead())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _cached_url(self, key: str) -> str | None:
        """The URL of a public copy that a shared cache may hold: the CDN's, or the app's own file
        URL (a CDN may front the app). Presigned URLs need no purge: the bucket answers 404."""
        cdn = self.storage.cdn_url(key)
        if cdn is not None:
            return cdn
        if await self.storage.url(key) is None:
            return f"{self.settings.public_url}/media/{key}"
        return None

    async def clear_dead(self) -> int:
        """Retry what takedowns left: delete public copies still stored, then purge their URLs from
        the CDN (only once the origin no longer has them). Returns how many records were settled."""
        settled = 0
        async with self.dead_lock:
            for dead in await DeadCopy.all().order_by("id").limit(_SWEEP_BATCH):
                keys = [key for key in dead.keys if not await self._delete_objects([key])]
                urls = list(dead.urls)
                if urls and not keys:
                    if not self.purger.enabled or await self.purger.purge(urls):
                        urls = []
                    elif dead.attempts + 1 >= PURGE_ATTEMPTS:
                        log.error("gave up purging %d URLs from the CDN after %d attempts", len(urls),
                                  PURGE_ATTEMPTS)
                        urls = []
                if not keys and not urls:
                    await DeadCopy.filter(id=dead.id).delete()
                    settled += 1
                else:
                    await DeadCopy.filter(id=dead.id).update(keys=keys, urls=urls, attempts=dead.attempts + 1)
        return settled

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
        later = _publish_later.get()
        if later is not None:
            later.extend(rows[m] for m in ids)
        else:
            await self._publish([rows[m] for m in ids])
        return [await self.view(rows[m]) for m in ids]

    @contextlib.asynccontextmanager
    async def publishing_after(self) -> AsyncIterator[None]:
        """Uploads attached within are published once it ends without an error (``Attachments``).

        A crash between the end of the transaction and the copies leaves the uploads attached and
        unpublished, which the sweeper publishes (as after a storage failure)."""
        attached: list[Upload] = []
        token = _publish_later.set(attached)
        try:
            yield
        finally:
            _publish_later.reset(token)
        await self._publish(attached)

    async def replace(self, holder: str, media_ids: Sequence[str], *, owner_id: int | None,
                      purposes: Sequence[str] = ("post",)) -> list[MediaView]:
        """Make ``media_ids`` the holder's media: attach new ones, release those no longer listed."""
        async with in_transaction():
            views = await self.attach(holder, media_ids, owner_id=owner_id, purposes=purposes)
            dropped = await (Upload.filter(holder=holder, status=ATTACHED).exclude(id__in=list(media_ids) or [""])
                             .values_list("id", flat=True))
            await self._take_down([str(i) for i in dropped], status=RELEASED, released_at=now())
        return views

    async def release(self, holder: str) -> None:
        """The holder is gone: stop serving its media at once; the sweeper deletes the objects."""
        ids = await Upload.filter(holder=holder, status=ATTACHED).values_list("id", flat=True)
        await self._take_down([str(i) for i in ids], status=RELEASED, released_at=now())

    async def set_visible(self, holder: str, visible: bool) -> None:
        """Stop (hidden, removed) or resume (restored) serving the holder's media. Stopping deletes the
        public copies before it returns; resuming publishes new ones, under new URLs."""
        if not visible:
            ids = await Upload.filter(holder=holder, status=ATTACHED).values_list("id", flat=True)
            await self._take_down([str(i) for i in ids], visible=False)
            return
        await Upload.filter(holder=holder, status=ATTACHED).update(visible=True)
        await self._publish(await Upload.filter(holder=holder, status=ATTACHED, public_token__isnull=True))

    async def views(self, media_ids: Sequence[str], *, everything: bool = False) -> dict[str, MediaView]:
        """Served media among ``media_ids`` with their public URLs, and attached evidence with private
        ones; with ``everything``, every upload not released, with private URLs unless served."""
        ids = [m for m in dict.fromkeys(media_ids) if m and len(m) <= 40]
        if not ids:
            return {}
        # Read as plain rows (``kernel.rows``): every post a page shows asks for its photos. By key
        # alone, the status tested here: with ``status`` in the query, SQLite without statistics
        # walked the status index through every attached upload (784 µs at 2,400 uploads, 13% of
        # the server's time under the mixed benchmark) instead of looking the few keys up.
        records = await fetch_sql_records(_viewed(len(ids)), ids)
        # Pages show the same photos again and again: what a record showed in the last second
        # (VIEW_SECONDS) is shown again while it holds the same values, without decoding it (its
        # variants' JSON, its flags) or looking its view up. Any change to the row is another key.
        out: dict[str, MediaView] = {}
        fresh: list[tuple[Hashable | None, Any]] = []
        for record in records:
            key: Hashable | None = (everything, *record)
            try:
                kept = self._shown.get(key)
            except TypeError:  # a value the driver decoded into a dict: nothing to key on
                key, kept = None, MISSING
            if kept is MISSING:
                fresh.append((key, record))
            elif kept is not None:
                out[kept.id] = kept
        for (known, _), row in zip(fresh, decode(Upload, [record for _, record in fresh]), strict=True):
            shown = await self._shown_as(row, everything)
            if known is not None:
                self._shown.put(known, shown)
            if shown is not None:
                out[row.id] = shown
        return out

    async def _shown_as(self, row: Row, everything: bool) -> MediaView | None:
        """What ``views`` shows of one upload's row (None: nothing)."""
        if everything:
            return await self.view(row) if row.status in SERVED else None
        if row.status != ATTACHED or not row.visible:
            return None
        if self.served(row) or row.purpose == "evidence":
            return await self.view(row)
        if self.shows_placeholder(row):
            # Removed on its own: the post shows, in its place, the case and the reason.
            return await self.view(row, placeholder=True)
        return None

    async def photos(self, media_ids: Sequence[str]) -> dict[str, PhotoState]:
        """The uploads among ``media_ids`` that exist (released ones too), for moderation."""
        ids = [m for m in dict.fromkeys(media_ids) if m and len(m) <= 40]
        rows = await fetch(Upload.filter(id__in=ids)) if ids else []
        return {row.id: PhotoState(id=row.id, owner_id=row.owner_id, purpose=row.purpose, status=row.status,
                                   holder=row.holder, takedown=takedown_of(row)) for row in rows}

    async def set_photo_status(self, media_id: str, status: str, *, case_id: str | None = None,
                               reason: str | None = None) -> None:
        """Take one photo down (``removed``, ``hidden``) or bring it back (``published``): its
        holder's other photos are untouched. Taking down stops every URL of it before returning
        (as a holder's takedown does); bringing back publishes it under new URLs, when its holder is
        visible (a restore of the holder later publishes it otherwise)."""
        if not media_id or len(media_id) > 40:
            return
        if status in TAKEDOWNS:
            await self._take_down([media_id], takedown=status, takedown_case_id=case_id, takedown_reason=reason)
            return
        if status != "published":
            raise ValueError(f"a photo is removed, hidden or published, not {status}")
        await Upload.filter(id=media_id).update(takedown=None, takedown_case_id=None, takedown_reason=None)
        await self._publish(await Upload.filter(id=media_id, status=ATTACHED, public_token__isnull=True))

    def photo_at(self, url: str, *, our_host: bool) -> str | None:
        """The upload id a photo URL names: on one of our hosts (``our_host``, checked by the caller)
        its public copy, ``/v1/media/{id}`` or a variant route; anywhere, a public copy under
        ``MEIJI_CDN_URL``. Presigned bucket URLs are not recognised: name such a photo by its id."""
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            return None
        if our_host:
            for pattern in _PHOTO_PATHS:
                match = pattern.search(parts.path)
                if match is not None:
                    return match.group(1)
        cdn = self.settings.cdn_url
        if cdn and url.strip().startswith(cdn + "/"):
            match = _CDN_PATH.match(parts.path)
            if match is not None:
                return match.group(1)
        return None

    async def erase_owner(self, owner_id: int) -> int:
        """Account deletion: stop serving and delete every upload of the owner; returns how many."""
        ids = [str(i) for i in await Upload.filter(owner_id=owner_id, status__in=SERVED).values_list("id", flat=True)]
        await self._take_down(ids, status=RELEASED, released_at=now())
        await UploadQuota.filter(owner_id=owner_id).delete()
        return len(ids)

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
        if await self._delete_objects(private_keys(upload)):
            await Upload.filter(id=media_id).delete()

    async def ping(self) -> None:
        """Raise when the storage cannot be reached."""
        await self.storage.ping()

    async def close(self) -> None:
        """Let go of the storage's kept connections (at shutdown)."""
        await self.storage.close()

    # --- the sweeper ---------------------------------------------------------------------------

    async def sweep(self) -> int:
        """Delete released uploads and expired pending ones with their objects, retry what takedowns
        left (copies to delete, CDN purges), publish attached uploads a storage failure left
        unpublished, then (hourly) delete objects that no row knows of and that are older than the
        TTL; returns how many uploads were removed."""
        await self.clear_dead()
        await self._publish(await Upload.filter(status=ATTACHED, visible=True, public_token__isnull=True,
                                                takedown__isnull=True).exclude(purpose="evidence").limit(_SWEEP_BATCH))
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
                if await self._delete_objects([*public_keys(row), *private_keys(row)]):
                    await Upload.filter(id=row.id, status=RELEASED).delete()
                    removed += 1
        if self.reconciled_at is None or (moment - self.reconciled_at).total_seconds() >= RECONCILE_SECONDS:
            removed += await self._reconcile(cutoff.timestamp())
            self.reconciled_at = moment
        await UploadQuota.filter(day__lt=(moment - timedelta(days=2)).date()).delete()
        return removed

    async def _reconcile(self, older_than: float) -> int:
        """Delete objects whose upload has no row, and public copies under a token their upload no
        longer has, once they are older than ``older_than``."""
        orphans: dict[str, list[str]] = {}
        stale: list[str] = []
        batch: dict[str, list[str]] = {}

        async def settle() -> None:
            tokens = {str(i): t for i, t in await Upload.filter(id__in=list(batch)).values_list("id", "public_token")}
            for media_id, keys in batch.items():
                if media_id not in tokens:
                    orphans.setdefault(media_id, []).extend(keys)
                    continue
                stale.extend(key for key in keys
                             if key.startswith(f"{PUBLIC}/") and key.split("/")[2] != tokens[media_id])
            batch.clear()

        try:
            async for key, mtime in self.storage.keys():
                parts = key.split("/")
                media_id = parts[1] if parts[0] == PUBLIC and len(parts) == 4 else parts[0]
                if not _is_key(key) or (parts[0] == PUBLIC and len(parts) != 4):
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
        if isinstance(self.storage, LocalStorage):
            try:
                if dropped := await self.storage.drop_partial_writes(older_than):
                    log.info("deleted %d temporary files of writes that never finished", dropped)
            except OSError as exc:
                log.warning("could not delete temporary files of unfinished writes: %s", exc)
        if stale and await self._delete_objects(stale):
            log.info("deleted %d public copies of taken-down or superseded publications", len(stale))
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
    return MediaService(build_storage(settings, keep_client=True), settings)


async def sweep(attachments: Attachments, settings: Settings) -> int:
    """Delete released and expired uploads with their objects; returns how many."""
    if isinstance(attachments, MediaService):
        return await attachments.sweep()
    return 0
