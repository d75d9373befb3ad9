"""Index directories in generations, so a rebuild happens aside and is swapped in at once.

``<root>/CURRENT`` names the live generation (``g000001``...). A rebuild writes the next generation
in its own directory, then replaces ``CURRENT`` atomically; every process that has the index open
sees the new name on its next call and reopens. Generations older than the previous one are deleted.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


class Generations:
    def __init__(self, root: Path) -> None:
        self.root = root
        # Read on every search: a plain string spares building the path each time.
        self._pointer_file = os.fspath(root / "CURRENT")
        self._seen: tuple[tuple[int, int], str] | None = None

    @property
    def _pointer(self) -> Path:
        return self.root / "CURRENT"

    def current(self) -> str:
        """The live generation's name, creating the first one when there is none."""
        try:
            # A swap replaces the file (a new inode): stat is enough to know it is unchanged.
            seen = os.stat(self._pointer_file)
            if self._seen is not None and (seen.st_ino, seen.st_mtime_ns) == self._seen[0]:
                return self._seen[1]
            name = self._pointer.read_text().strip()
            self._seen = ((seen.st_ino, seen.st_mtime_ns), name)
            return name
        except FileNotFoundError:
            self.root.mkdir(parents=True, exist_ok=True)
            name = "g000001"
            (self.root / name).mkdir(exist_ok=True)
            self._swap_to(name)
            return name

    def path(self, name: str) -> Path:
        return self.root / name

    def next(self) -> str:
        """A fresh, empty directory for the next generation."""
        numbers = [int(p.name[1:]) for p in self.root.glob("g*") if p.name[1:].isdigit()]
        name = f"g{max(numbers, default=0) + 1:06d}"
        target = self.root / name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        return name

    def _swap_to(self, name: str) -> None:
        tmp = self.root / f"CURRENT.{os.getpid()}"
        tmp.write_text(name)
        os.replace(tmp, self._pointer)

    def swap(self, name: str) -> None:
        """Make ``name`` live and delete generations older than the one it replaces.

        The replaced generation is kept: another process may still have it open until its next call.
        """
        previous = self.current()
        self._swap_to(name)
        for path in self.root.glob("g*"):
            if path.name not in (name, previous) and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
