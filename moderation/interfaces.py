"""What moderation needs from the composition root: control over accounts."""

from __future__ import annotations

from typing import Protocol


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
