"""The content room's service functions.

The functions in the first part are content's public face to moderation and to the account's
privacy tools in ``meiji``: they are the only way another room reads or changes content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

TargetType = Literal["diary", "diary_entry", "review", "question", "answer", "comment", "wiki"]
Status = Literal["published", "hidden", "removed", "deleted"]


@dataclass(frozen=True)
class TargetInfo:
    """A piece of content as moderation sees it, real author included (never shown to the public)."""

    type: str
    id: str
    author_id: int | None
    anonymous: bool
    status: str
    title: str
    preview: str
    path: str
    media_ids: list[str] = field(default_factory=list)
    case_id: str | None = None


async def find_target(target_type: str, target_id: str) -> TargetInfo | None:
    """The content behind a (type, id), whatever its status; None when there is none."""
    return None


async def resolve_url(url: str) -> tuple[str, str] | None:
    """(type, id) for a URL or API path of our content (``https://host/v1/diaries/12``), else None."""
    return None


async def set_status(state: Any, target_type: str, target_id: str, status: Status, *,
                     case_id: str | None = None, reason: str | None = None) -> TargetInfo:
    """Hide, remove or restore content; leaves search and media serving at once when not published."""
    raise NotImplementedError


async def public_counts(author_id: int) -> dict[str, int]:
    """Published, non-anonymous posts of an author, by kind (anonymous posts are never counted)."""
    return {}


async def export_author(state: Any, author_id: int) -> dict[str, Any]:
    """Everything content holds of an author, anonymous posts included (the data export)."""
    return {}


async def erase_author(state: Any, author_id: int, mode: Literal["delete", "anonymize"]) -> None:
    """Account deletion: delete every post of the author, or keep them with the author removed for good."""
    return None
