"""The content room's service functions.

The names re-exported here are content's public face to moderation and to the account's privacy
tools in ``meiji``: they are the only way another room reads or changes content. They work on every
type registered in ``content.visibility.KINDS`` (each area's module registers its own at import).

Area modules: ``reference``, ``diaries``, ``reviews`` (reference data and member posts),
``questions``, ``comments``, ``likes``, ``wiki`` (community), ``professionals`` (verified clinic
staff and doctors, official replies), ``follows``, ``favourites``, ``feed``
(following), ``lifecycle`` (any post's status).
"""

from __future__ import annotations

from content.services import (
    comments,
    diaries,
    favourites,
    feed,
    follows,
    lifecycle,
    likes,
    professionals,
    questions,
    reference,
    reviews,
    wiki,
)
from content.services.lifecycle import (
    Status,
    TargetInfo,
    TargetType,
    erase_author,
    export_author,
    find_target,
    find_targets,
    public_counts,
    resolve_url,
    set_status,
)
from content.visibility import forget_author

__all__ = [
    "Status",
    "TargetInfo",
    "TargetType",
    "comments",
    "diaries",
    "erase_author",
    "export_author",
    "favourites",
    "feed",
    "find_target",
    "find_targets",
    "follows",
    "forget_author",
    "lifecycle",
    "likes",
    "professionals",
    "public_counts",
    "questions",
    "reference",
    "resolve_url",
    "reviews",
    "set_status",
    "wiki",
]
