"""What moderation needs from the composition root: control over accounts, and the parts of the
services object its service functions take (content's, which it passes on, and its own)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, cast

from content.interfaces import ContentServices
from kernel.settings import Settings
from kernel.web.services import Carrier


class AccountControl(Protocol):
    """Accounts, as the repeat-infringer policy acts on them."""

    async def suspend(self, account_id: int) -> None:
        """Make the account read-only."""
        ...

    async def reinstate(self, account_id: int) -> None:
        """Lift a suspension."""
        ...

    async def handle_of(self, account_id: int) -> str | None:
        """The account's handle, None when it is deleted (moderators see real authors)."""
        ...

    async def role_of(self, account_id: int) -> str | None:
        """The account's role (member, editor, moderator, admin), None when it is deleted."""
        ...

    async def hide_profile(self, account_id: int, hidden: bool) -> None:
        """Hide (or show again) the account's avatar and bio from its public profile; both are kept."""
        ...

    async def joined_at(self, account_id: int) -> datetime | None:
        """When the account was made, None when it is deleted (reporter weight, posting limits)."""
        ...

    async def has_published(self, account_id: int) -> bool:
        """Whether the account has a published post, anonymous or not (reporter weight)."""
        ...


class ModerationServices(ContentServices, Protocol):
    """Content's part of the services object (moderation hides and restores through content's
    services), with what moderation uses itself: the settings and control over accounts."""

    @property
    def settings(self) -> Settings: ...

    @property
    def accounts(self) -> AccountControl: ...


def services_of(call: Carrier) -> ModerationServices:
    """The services object as moderation sees it (``meiji.app`` proves the real one fits)."""
    return cast(ModerationServices, call.services)
