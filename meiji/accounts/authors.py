"""Accounts as the other rooms see them: authors for content, control for moderation."""

from __future__ import annotations

from collections.abc import Sequence

from content.interfaces import AuthorView
from media.interfaces import Attachments
from meiji.accounts import services


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
            out[account_id] = AuthorView(account_id, account.handle, view.as_json() if view else None)
        return out

    async def suspend(self, account_id: int) -> None:
        await services.set_suspended(account_id, True)

    async def reinstate(self, account_id: int) -> None:
        await services.set_suspended(account_id, False)

    async def handle_of(self, account_id: int) -> str | None:
        account = (await services.handles([account_id])).get(account_id)
        return account.handle if account else None
