"""Accounts as content shows its authors."""

from __future__ import annotations

from collections.abc import Sequence

from content.interfaces import AuthorView
from media.interfaces import Attachments
from meiji.accounts.services import handles


class AccountAuthors:
    """``content.interfaces.Authors`` over the accounts table and the avatars in media."""

    def __init__(self, media: Attachments) -> None:
        self.media = media

    async def views(self, ids: Sequence[int]) -> dict[int, AuthorView]:
        accounts = await handles(list(set(ids)))
        avatars = await self.media.views([a.avatar_media_id for a in accounts.values() if a.avatar_media_id])
        out = {}
        for account_id, account in accounts.items():
            view = avatars.get(account.avatar_media_id or "")
            out[account_id] = AuthorView(account_id, account.handle, view.as_json() if view else None)
        return out
