"""Which process writes an embedded index directory (tantivy, Whoosh): the one holding its owner lock.

Both engines allow one writer per directory, and a second process that opens a writer fails with
"Failed to acquire index lock". So one process *owns* the directory: it holds an exclusive lock on
``<dir>/OWNER.lock`` for its whole life, writes the index (the outbox, synchronous takedowns) and is
the only one that opens the live index's writer. The serving process claims it at start; ``meiji
index run`` claims it when no server does. Every other process (each CLI command) opens the index
read-only and leaves its changes in the outbox, which the owner applies within a second.

The lock is ``flock``: the kernel drops it when its process ends, however it ends, so a killed
server never leaves a stale owner behind. ``<dir>/OWNER`` names the holder for messages only.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

# How often a claim that waits tries the lock again.
_RETRY_SECONDS = 0.1


class IndexOwned(Exception):
    """Another process owns the index directory."""

    def __init__(self, root: Path, holder: str) -> None:
        super().__init__(f"the search index in {root} is written by {holder}")
        self.root = root
        self.holder = holder


# Claims held by this process: directory -> (file descriptor, how many claims). Claims nest, so the
# serve command can check before the app (in the same process) claims for its life.
_held: dict[Path, tuple[int, int]] = {}


def _lock_path(root: Path) -> Path:
    return root / "OWNER.lock"


def _name_path(root: Path) -> Path:
    return root / "OWNER"


def _try(root: Path) -> int | None:
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(_lock_path(root), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def claim(root: Path, who: str, *, wait: float = 0.0) -> None:
    """Become the owner of ``root`` (waiting up to ``wait`` seconds); raise ``IndexOwned`` otherwise."""
    root = root.resolve()
    held = _held.get(root)
    if held is not None:
        _held[root] = (held[0], held[1] + 1)
        return
    deadline = time.monotonic() + wait
    while (fd := _try(root)) is None:
        if time.monotonic() >= deadline:
            raise IndexOwned(root, holder(root) or "another process")
        time.sleep(_RETRY_SECONDS)
    _held[root] = (fd, 1)
    tmp = _name_path(root).with_suffix(f".{os.getpid()}")
    tmp.write_text(f"{who} (pid {os.getpid()})\n")
    os.replace(tmp, _name_path(root))


def release(root: Path) -> None:
    """Give up one claim; the lock goes when the last claim of this process does."""
    root = root.resolve()
    held = _held.get(root)
    if held is None:
        return
    fd, count = held
    if count > 1:
        _held[root] = (fd, count - 1)
        return
    del _held[root]
    os.close(fd)  # closing the descriptor drops the flock


def owns(root: Path) -> bool:
    """This process holds the owner lock of ``root``."""
    return root.resolve() in _held


def holder(root: Path) -> str | None:
    """Who owns ``root`` when another process does (``meiji serve (pid 123)``); None when nobody does."""
    root = root.resolve()
    if root in _held or not root.exists():
        return None
    fd = _try(root)
    if fd is not None:
        os.close(fd)
        return None
    try:
        return _name_path(root).read_text().strip() or "another process"
    except FileNotFoundError:
        return "another process"


@contextlib.asynccontextmanager
async def rebuilding(root: Path) -> AsyncIterator[None]:
    """One rebuild of ``root`` at a time, across processes: a second ``meiji search reindex`` waits.

    Two rebuilds at once would pick the same new generation directory and write over each other.
    """
    def wait_for_turn() -> int:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root / "REBUILD.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd

    fd = await asyncio.to_thread(wait_for_turn)
    try:
        yield
    finally:
        os.close(fd)
