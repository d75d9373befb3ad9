"""The C allocator's settings for a long-lived server process, and what it holds (glibc; elsewhere
nothing is changed and nothing is reported)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Callable
from typing import Any

M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h
ARENAS = 2


def limit_arenas(environ: dict[str, str] | None = None) -> bool:
    """Cap glibc's malloc arenas at ``ARENAS`` unless ``MALLOC_ARENA_MAX`` is set; whether it was done.

    glibc gives threads up to eight arenas per core, and each arena keeps its own high-water mark:
    memory an image worker freed in one arena cannot serve an allocation in another. With two
    arenas, the upload benchmark's peak RSS drops by 10-25 MB at the same rate. The cap holds for
    arenas created afterwards, so it is set before the server starts its threads.
    """
    if "MALLOC_ARENA_MAX" in (os.environ if environ is None else environ):
        return False  # the operator's choice, already applied by glibc
    mallopt = _function(None, "mallopt", ctypes.c_int)
    return mallopt is not None and bool(mallopt(M_ARENA_MAX, ARENAS))


def _function(library: str | None, name: str, returns: Any) -> Any:
    """A C function of ``library`` (None: this process's own symbols, the C library's among them)
    returning ``returns``, or None when there is no such library or symbol (not glibc, macOS)."""
    try:
        function = getattr(ctypes.CDLL(library), name)
    except (OSError, AttributeError):
        return None
    function.restype = returns
    return function


class _Mallinfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2`` (2.33 and later): ten ``size_t``."""

    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


class Holdings:
    """Bytes held by the C allocator, by part, read when asked (for ``/metrics``).

    ``malloc_in_use``: what C code holds now (SQLite, the search engine, Pillow, Python's larger
    objects); ``malloc_free``: what was freed but the allocator keeps for later (RSS counts it);
    ``sqlite``: SQLite's share of what is in use. Python's small objects live in its own arenas,
    outside these. Parts this platform cannot tell are left out.
    """

    def __init__(self) -> None:
        self._mallinfo: Callable[[], _Mallinfo2] | None = _function(None, "mallinfo2", _Mallinfo2)  # glibc 2.33+
        # SQLite's own count (page caches, statements), when Python's ``sqlite3`` uses the shared
        # library: the same copy is then loaded in this process.
        sqlite = ctypes.util.find_library("sqlite3")
        self._sqlite: Callable[[], int] | None = (
            _function(sqlite, "sqlite3_memory_used", ctypes.c_int64) if sqlite else None)

    def __call__(self) -> dict[str, int]:
        parts: dict[str, int] = {}
        if self._mallinfo is not None:
            info = self._mallinfo()
            parts["malloc_in_use"] = info.uordblks + info.hblkhd
            parts["malloc_free"] = info.fordblks
        if self._sqlite is not None:
            parts["sqlite"] = self._sqlite()
        return parts
