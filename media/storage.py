"""Storage backends: a local directory (served by the app), memory (tests), and the factory.

The S3 backend lives in ``media/s3.py``.

The local directory writes and copies small objects (up to ``INLINE_BYTES``, every variant of a
phone photo) on the event loop's thread, larger ones on a worker thread. Measured under the mixed
benchmark (``bench/mixed.py``, 32 connections on one worker): writing a 50 KB file costs well under
a millisecond, while each hand-over to a worker thread waited two to three turns of a busy loop
(25-75 ms each), so an upload's four variant writes took 155 ms and publishing one photo 260 ms.
This is the same trade as SQLite's (``kernel/sqlite.py``): the data directory is a local disk,
written through the page cache without ``fsync``.

Keys are made by the media service from random ids and
random secrets (``<id>/<secret>/<variant>.webp``, ``public/<id>/<token>/<variant>.webp``); no
user-supplied name ever reaches a key, and every backend refuses a key that could climb out of its root.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import anyio
import anyio.to_thread

from kernel.clock import now
from kernel.settings import Settings
from media.batches import OneByOne
from media.interfaces import PRIVATE_CACHE, Storage, StorageError
from media.keys import check_key

CHUNK = 64 * 1024
INLINE_BYTES = 1024 * 1024  # local files up to this size are read and written on the loop's thread


class MemoryStorage(OneByOne):
    """Objects in a dictionary, with modification times from ``kernel.clock`` (tests shift it)."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str, float]] = {}

    async def put(self, key: str, data: bytes, content_type: str, cache_control: str = PRIVATE_CACHE) -> None:
        self.objects[check_key(key)] = (bytes(data), content_type, now().timestamp())

    async def copy(self, source: str, target: str, cache_control: str) -> None:
        data, content_type, _ = self.objects.get(source) or (None, "", 0.0)
        if data is None:
            raise FileNotFoundError(source)
        await self.put(target, data, content_type, cache_control)

    async def get(self, key: str) -> bytes:
        try:
            return self.objects[key][0]
        except KeyError:
            raise FileNotFoundError(key) from None

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        data = await self.get(key)
        for start in range(0, len(data), CHUNK):
            yield data[start:start + CHUNK]

    async def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    async def exists(self, key: str) -> bool:
        return key in self.objects

    async def url(self, key: str) -> str | None:
        return None

    def cdn_url(self, key: str) -> str | None:
        return None

    async def keys(self, prefix: str = "") -> AsyncIterator[tuple[str, float]]:
        for key, (_, _, mtime) in list(self.objects.items()):
            if key.startswith(prefix):
                yield key, mtime

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None


class LocalStorage(OneByOne):
    """Objects as files under one directory; the app serves them at ``/media/<key>``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def path_of(self, key: str) -> Path:
        """The file holding ``key`` (for serving it with sendfile)."""
        return self._path(key)

    async def put(self, key: str, data: bytes, content_type: str, cache_control: str = PRIVATE_CACHE) -> None:
        # Files carry no headers: the app's routes send the caching header of what they serve.
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write beside the target, then rename: a reader never sees half a file.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                # Readable like any served file (mkstemp makes 0600), e.g. by a web server in front.
                os.fchmod(fd, 0o644)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

        try:
            if len(data) <= INLINE_BYTES:
                write()
            else:
                await anyio.to_thread.run_sync(write)
        except OSError as exc:
            raise StorageError(f"cannot write {key}: {exc.strerror}") from exc

    async def copy(self, source: str, target: str, cache_control: str) -> None:
        try:
            data = await self.get(source)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise StorageError(f"cannot read {source}: {exc.strerror}") from exc
        await self.put(target, data, "image/webp", cache_control)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        if path.stat().st_size <= INLINE_BYTES:
            return path.read_bytes()
        return await anyio.Path(path).read_bytes()

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self._path(key), "rb") as f:
            while chunk := await f.read(CHUNK):
                yield chunk

    async def delete(self, key: str) -> None:
        path = self._path(key)

        def remove() -> None:
            path.unlink(missing_ok=True)
            # Drop the upload's directory once it is empty.
            parent = path.parent
            while parent != self.root and parent.is_relative_to(self.root):
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent

        try:
            remove()  # an unlink and a few rmdirs: cheaper than a hand-over to a worker thread
        except OSError as exc:
            raise StorageError(f"cannot delete {key}: {exc.strerror}") from exc

    async def exists(self, key: str) -> bool:
        return await anyio.Path(self._path(key)).is_file()

    async def url(self, key: str) -> str | None:
        return None

    def cdn_url(self, key: str) -> str | None:
        return None

    async def keys(self, prefix: str = "") -> AsyncIterator[tuple[str, float]]:
        def walk() -> list[tuple[str, float]]:
            found = []
            for dirpath, _, filenames in os.walk(self.root):
                for name in filenames:
                    if name.startswith("."):
                        continue  # a write in progress (".tmp-..."), never a key
                    path = Path(dirpath, name)
                    key = path.relative_to(self.root).as_posix()
                    if key.startswith(prefix):
                        try:
                            found.append((key, path.stat().st_mtime))
                        except FileNotFoundError:
                            continue
            return found

        for item in await anyio.to_thread.run_sync(walk):
            yield item

    async def drop_partial_writes(self, older_than: float) -> int:
        """Delete the temporary files of writes that never finished (the process was killed between
        writing and renaming), once their mtime is before ``older_than``; how many. ``keys`` never
        lists them, so nothing else would."""

        def drop() -> int:
            removed = 0
            for dirpath, _, filenames in os.walk(self.root):
                for name in filenames:
                    path = Path(dirpath, name)
                    try:
                        if not name.startswith(".tmp-") or path.stat().st_mtime >= older_than:
                            continue
                        path.unlink()
                    except FileNotFoundError:
                        continue
                    removed += 1
                    parent = path.parent
                    while parent != self.root and parent.is_relative_to(self.root):
                        try:
                            parent.rmdir()  # only once empty
                        except OSError:
                            break
                        parent = parent.parent
            return removed

        return await anyio.to_thread.run_sync(drop)

    async def ping(self) -> None:
        root = anyio.Path(self.root)
        await root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise StorageError(f"{self.root} is not writable")

    async def close(self) -> None:
        return None


def build_storage(settings: Settings, *, keep_client: bool = False) -> Storage:
    """The backend named by ``MEIJI_STORAGE_URL``: ``file:///dir``, ``s3://bucket[/prefix]?...``, ``memory://``.

    ``keep_client``: the S3 backend keeps one client open until ``close`` (the app's, closed at shutdown).
    """
    url = settings.storage_url
    parts = urlsplit(url)
    if parts.scheme == "memory":
        return MemoryStorage()
    if parts.scheme == "file":
        root = Path(unquote(parts.path))
        if not root.is_absolute():
            raise ValueError(f"MEIJI_STORAGE_URL: a file:// URL needs an absolute path, got {url!r}")
        return LocalStorage(root)
    if parts.scheme == "s3":
        from media.s3 import S3Storage

        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if not parts.netloc:
            raise ValueError(f"MEIJI_STORAGE_URL: an s3:// URL names a bucket, got {url!r}")
        return S3Storage(bucket=parts.netloc, prefix=parts.path.strip("/"), endpoint=query.get("endpoint"),
                         region=query.get("region"), presign_seconds=settings.presign_seconds,
                         cdn_url=settings.cdn_url, keep_client=keep_client)
    raise ValueError(f"MEIJI_STORAGE_URL: unknown scheme in {url!r}")
