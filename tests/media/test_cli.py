"""``meiji media sweep``: the sweeper as operators run it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def test_media_sweep_deletes_objects_that_no_upload_knows_after_the_ttl(tmp_path: Path) -> None:
    media = tmp_path / "media"
    old, recent = media / "oldorphan" / "large.webp", media / "neworphan" / "large.webp"
    for path in (old, recent):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"RIFF")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    env = {**os.environ, "MEIJI_DATA_DIR": str(tmp_path), "MEIJI_STORAGE_URL": media.as_uri(),
           "MEIJI_SEARCH_URL": "memory://", "MEIJI_LOG_LEVEL": "warning"}

    done = subprocess.run([str(Path(sys.executable).parent / "meiji"), "media", "sweep"], env=env,
                          capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert "swept 1 uploads" in done.stdout
    assert not old.exists() and not old.parent.exists()
    assert recent.exists()
