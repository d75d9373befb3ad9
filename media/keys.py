"""The shape of object keys: only what the media service makes, nothing that could climb out of a root.

Its own module so that every backend (``media.storage``, ``media.s3``) checks keys the same way
without importing one another.
"""

from __future__ import annotations

import re

_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_.-]*)*$")


def check_key(key: str) -> str:
    """The key itself when it is one the service could have made; ValueError otherwise."""
    if len(key) > 200 or not _KEY.match(key) or ".." in key:
        raise ValueError(f"not a storage key: {key!r}")
    return key
