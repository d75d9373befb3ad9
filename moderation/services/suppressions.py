"""Revision suppression: a moderator hides one encyclopedia revision's content from the public.

As MediaWiki's revision deletion: the revision stays in the history (number, editor, time) with its
content withheld from everyone but moderators, and is kept whole for the legal record. A legal
notice can name a revision (``{type: "wiki_revision", id: "<slug>@<n>"}``); measures taken on it
suppress it through ``content.services.set_status`` like any target. Both ways are in the audit log.
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

import content.services as content
from kernel.vocabulary import ContentType, PostStatus
from kernel.web.auth import Principal
from kernel.web.problems import not_found
from moderation.interfaces import ModerationServices
from moderation.services import audit, targets


async def set_suppressed(services: ModerationServices, moderator: Principal, *, slug: str, number: str,
                         suppressed: bool,
                         reason: str) -> dict[str, Any]:
    """Suppress (or restore) revision ``number`` of page ``slug``; audited; answers the revision as
    moderators read it. Doing what is already done changes nothing and logs nothing."""
    info = await targets.find(services, ContentType.WIKI_REVISION, f"{slug}@{number}")
    if info is None:
        raise not_found("revision")
    if (info.status != PostStatus.PUBLISHED) != suppressed:
        async with in_transaction():
            await targets.set_status(services, info, PostStatus.REMOVED if suppressed else PostStatus.PUBLISHED,
                                     reason=reason)
            await audit.record(audit.moderator(moderator.id), "suppressed" if suppressed else "unsuppressed",
                               target_type=info.type, target_id=info.id, reason=reason)
    page, revision = await content.wiki.revision_of(info.id)
    [shown] = await content.wiki.revision_json(services, [revision], page, full=True, viewer=moderator)
    return shown
