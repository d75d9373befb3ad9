"""Accounts as the other rooms see them: authors for content, control for moderation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from content.interfaces import AuthorView
from content.visibility import forget_author, registered
from media.interfaces import Attachments
from meiji.accounts import services
from meiji.accounts.models import Account


class AccountDirectory:
    """``content.interfaces.Authors`` and ``moderation.interfaces.AccountControl`` over accounts."""

    def __init__(self, media: Attachments) -> None:
        self.media = media

    async def views(self, ids: Sequence[int]) -> dict[int, AuthorView]:
        accounts = await services.handles(list(set(ids)))
        avatars = await self.media.views([a.avatar_media_id for a in accounts.values() if a.avatar_media_id])
        out = {}
        for account_id, account in accounts.items():
            view = avatars.get(account.avatar_media_id or "")
            out[account_id] = AuthorView(id=account_id, handle=account.handle, avatar=view.as_json() if view else None)
        return out

    async def suspend(self, account_id: int) -> None:
        await services.set_suspended(account_id, True)

    async def reinstate(self, account_id: int) -> None:
        await services.set_suspended(account_id, False)

    async def handle_of(self, account_id: int) -> str | None:
        account = (await services.handles([account_id])).get(account_id)
        return account.handle if account else None

    async def role_of(self, account_id: int) -> str | None:
        account = await Account.get_or_none(id=account_id, status__in=("active", "suspended"))
        return account.role if account else None

    async def joined_at(self, account_id: int) -> datetime | None:
        account = await Account.get_or_none(id=account_id, status__in=("active", "suspended"))
        return account.created_at if account else None

    async def has_published(self, account_id: int) -> bool:
        # Any post type with an author, anonymous posts included (the wiki's pages have none).
        for kind in registered():
            if "author_id" not in kind.model._meta.fields_map:
                continue
            if await kind.model.filter(author_id=account_id, status="published").exists():
                return True
        return False

    async def hide_profile(self, account_id: int, hidden: bool) -> None:
        # The avatar stops being served (and so leaves every author view); bio and photo stay stored,
        # and the public profile leaves the bio out while moderation holds the account removed.
        await self.media.set_visible(f"avatar:{account_id}", not hidden)
        forget_author(account_id)  # author views cached in this process show the change at once
