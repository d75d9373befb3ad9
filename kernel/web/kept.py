"""Answers of list routes kept until the database changes, so a page many readers open is read once.

The first page of 热门日记 or of a procedure's questions is asked by everyone who opens the app, and
between two writes every one of them gets the same bytes. A route declared with ``kept=True`` has
its 200 answer kept per (route, path, query string, caller) and given again while:

- nothing was committed to the database since, by this process or any other
  (``kernel.db.change_mark``: SQLite's ``data_version``). A takedown, an edit that makes a post
  anonymous, a deleted account, a like: each is a commit, and the next request computes the page
  again. The mark is read before the page is: one computed while a commit landed is kept under
  the state it started from, which no later request is at;
- and for at most ``KEPT_SECONDS``, what the database does not say: author views are themselves
  kept that long (``content.visibility.AUTHOR_TTL``), and photo URLs may be signed for a while.

The caller is part of the key, the whole ``Principal`` (id, role, suspension): a member's page,
with their likes and their own anonymous posts marked as theirs, is never given to anyone else.
Where the database cannot tell cheaply that it changed (PostgreSQL) nothing is kept. At most
``MEIJI_LISTS_KEPT`` answers are kept (256 by default; 0 keeps none) and at most ``KEPT_BYTES`` of
them, all dropped at once when either is reached (as ``kernel.caches.Kept`` drops its values).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable

from kernel.caches import MISSING, Kept

KEPT_SECONDS = 1.0
KEPT_BYTES = 8 * 1024 * 1024  # a page of 100 diaries with two photos each is about 145 KB


class KeptPages:
    """The kept answers of one application, all of one database state (``mark``)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.mark: Hashable | None = None
        self._pages: Kept[Hashable, bytes] = Kept(max(size, 1), KEPT_SECONDS)
        self._bytes = 0  # of the pages kept now
        self.outcomes: Counter[str] = Counter()  # kept, computed: for /metrics

    def get(self, key: Hashable, mark: Hashable | None) -> bytes | None:
        """The answer kept for ``key`` if the database is still at ``mark`` and it is fresh."""
        if mark is None or self.size == 0:
            return None
        if mark != self.mark:  # something was committed: every page may have changed
            self._drop()
            self.mark = mark
        found = self._pages.get(key)
        self.outcomes["computed" if found is MISSING else "kept"] += 1
        return None if found is MISSING else found

    def put(self, key: Hashable, mark: Hashable | None, body: bytes) -> None:
        """Keep ``body``, computed from the database at ``mark``, unless it changed meanwhile."""
        if mark is None or mark != self.mark or self.size == 0:
            return
        if len(self._pages) >= self.size or self._bytes + len(body) > KEPT_BYTES:
            self._drop()  # full: all go at once, as ``Kept`` drops them
        self._pages.put(key, body)
        self._bytes += len(body)

    def _drop(self) -> None:
        self._pages.clear()
        self._bytes = 0
