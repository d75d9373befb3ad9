"""The closed sets every room speaks of: roles, post statuses and content types.

Each is a ``StrEnum``: its members are the strings the API and the database already use, so they
compare equal to them, serialize as them, and mypy sees a typo. Per-route subsets (what can be
commented on, liked, searched, reported) are derived here from the one content-type enum, never
spelled out again.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    """An account's role; each includes the rights of the ones before it, except as the rooms say."""

    MEMBER = "member"
    EDITOR = "editor"  # encyclopedia and reference data
    MODERATOR = "moderator"
    ADMIN = "admin"


STAFF: frozenset[Role] = frozenset({Role.MODERATOR, Role.ADMIN})


class PostStatus(StrEnum):
    """Where a post stands; only ``published`` is public."""

    PUBLISHED = "published"
    HIDDEN = "hidden"  # pending review (reports, the advertising screen)
    REMOVED = "removed"  # by moderation: a legal notice or a policy decision
    DELETED = "deleted"  # by its author


class ContentType(StrEnum):
    """Every kind of post (and part of a post) the API names in paths, targets and documents."""

    DIARY = "diary"  # 日记本
    DIARY_ENTRY = "diary_entry"
    REVIEW = "review"  # 评价
    QUESTION = "question"  # 问答
    ANSWER = "answer"
    COMMENT = "comment"
    WIKI = "wiki"  # 百科
    WIKI_REVISION = "wiki_revision"
    REVIEW_REPLY = "review_reply"  # a clinic's or doctor's official reply (官方回复)
    # One photo of a diary, an entry, a review or an avatar, by its upload id: a notice or a
    # moderator takes it down alone, and the post stays up with a placeholder in its place.
    PHOTO = "photo"


# What each route accepts, derived from the one enum.
COMMENTABLE: tuple[ContentType, ...] = (ContentType.DIARY, ContentType.DIARY_ENTRY, ContentType.REVIEW,
                                        ContentType.ANSWER)
LIKEABLE: tuple[ContentType, ...] = (*COMMENTABLE[:3], ContentType.QUESTION, ContentType.ANSWER, ContentType.COMMENT)
SEARCHABLE: tuple[ContentType, ...] = (ContentType.DIARY, ContentType.REVIEW, ContentType.QUESTION, ContentType.ANSWER,
                                       ContentType.WIKI)
FAVOURITABLE: tuple[ContentType, ...] = (*SEARCHABLE,)
MODERATED: tuple[ContentType, ...] = tuple(ContentType)


def values(kinds: Iterable[StrEnum]) -> tuple[str, ...]:
    """The strings of ``kinds``, for a schema that lists them: ``Literal[values(LIKEABLE)]``."""
    return tuple(kind.value for kind in kinds)
