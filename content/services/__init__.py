"""The content room's service functions.

The names re-exported here are content's public face to moderation and to the account's privacy
tools in ``meiji``: they are the only way another room reads or changes content. They work on every
type registered in ``content.visibility.KINDS`` (each area's module registers its own at import).

Area modules: ``reference``, ``diaries``, ``reviews`` (reference data and member posts),
``questions``, ``comments``, ``likes``, ``wiki`` (community), ``lifecycle`` (any post's status).
"""

from __future__ import annotations

from content.services import lifecycle
from content.services import reference, diaries, reviews  # noqa: I001 - areas register their types in order
from content.services import comments, likes, questions, wiki  # noqa: F401
from content.services.lifecycle import (
    Status,
    TargetInfo,
    TargetType,
    erase_author,
    export_author,
    find_target,
    public_counts,
    resolve_url,
    set_status,
)

__all__ = [
    "Status",
    "TargetInfo",
    "TargetType",
    "diaries",
    "erase_author",
    "export_author",
    "find_target",
    "lifecycle",
    "public_counts",
    "reference",
    "resolve_url",
    "reviews",
    "set_status",
]
