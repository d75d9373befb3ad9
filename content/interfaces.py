"""What content needs from the rooms around it, given to it by the composition root.

``meiji`` implements ``Authors`` (accounts); ``moderation`` implements ``Notifier`` and
``Screener``. Each has a plain in-memory version below for unit tests. ``ContentServices`` names
the parts of the application's services object content's service functions take.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from kernel.web.services import Carrier
from media.interfaces import Attachments
from search.interfaces import DocumentSource, SearchIndex


@dataclass(frozen=True, kw_only=True)
class AuthorView:
    """An author as the public sees a non-anonymous post: ``{id, handle, avatar}``."""

    id: int
    handle: str
    avatar: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "handle": self.handle, "avatar": self.avatar}


@dataclass(frozen=True, kw_only=True)
class Published:
    """A post that was just created or edited, for screening (advertising, contact details)."""

    target_type: str
    target_id: str
    author_id: int
    text: str
    # Its photos (upload ids), for the screener's check against listed marketing images.
    media_ids: tuple[str, ...] = ()


class Authors(Protocol):
    """Accounts, as content shows them."""

    async def views(self, ids: Sequence[int]) -> dict[int, AuthorView]:
        """Live accounts among ``ids``; deleted accounts are absent (their posts show no author)."""
        ...


class Notifier(Protocol):
    """Notifications to members (answers to my questions, comments on my posts...)."""

    async def notify(self, account_id: int, kind: str, payload: dict[str, Any]) -> None:
        """Queue one notification for ``account_id``; the payload never names an anonymous actor."""
        ...


class Screener(Protocol):
    """Looks at new and edited posts (off-platform contact details, advertising words)."""

    async def screen(self, post: Published) -> None:
        """Queue the post for review when it looks like advertising; never blocks publishing."""
        ...


class ContentServices(Protocol):
    """What content's services use of the application's services object, and nothing more."""

    @property
    def media(self) -> Attachments: ...

    @property
    def search(self) -> SearchIndex: ...

    @property
    def documents(self) -> DocumentSource: ...

    @property
    def authors(self) -> Authors: ...

    @property
    def notifier(self) -> Notifier: ...

    @property
    def screener(self) -> Screener: ...


def services_of(call: Carrier) -> ContentServices:
    """The services object as content sees it (``meiji.app`` proves the real one fits)."""
    return cast(ContentServices, call.services)


@dataclass(kw_only=True)
class MemoryAuthors:
    accounts: dict[int, AuthorView] = field(default_factory=dict)

    async def views(self, ids: Sequence[int]) -> dict[int, AuthorView]:
        return {i: self.accounts[i] for i in ids if i in self.accounts}


@dataclass(kw_only=True)
class MemoryNotifier:
    sent: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)

    async def notify(self, account_id: int, kind: str, payload: dict[str, Any]) -> None:
        self.sent.append((account_id, kind, payload))


@dataclass(kw_only=True)
class MemoryScreener:
    seen: list[Published] = field(default_factory=list)

    async def screen(self, post: Published) -> None:
        self.seen.append(post)
