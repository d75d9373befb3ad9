"""The blocklist of clinic marketing images: moderators list a photo, and a diary that later shows
it (or a re-encoded, resized copy) is queued with a system report, "marketing photo passed off as a
diary". Listing never takes anything down by itself: a moderator decides the report."""

from __future__ import annotations

from typing import Any

from kernel.web.problems import conflict, invalid
from media.interfaces import MediaError
from moderation.interfaces import ModerationServices
from moderation.services import audit

# What the screener writes in the system report's detail.
FINDING = "marketing photo passed off as a diary"
# Posts whose photos stand for the author's own experience: a clinic's photo there misleads.
DIARY_TYPES = frozenset({"diary", "diary_entry"})


async def block(services: ModerationServices, moderator_id: int, media_id: str, reason: str) -> dict[str, Any]:
    """List the upload's photo; 422 naming ``media_id`` when there is no such upload, 409 when listed."""
    try:
        added = await services.media.block_photo(media_id, note=reason)
    except MediaError as exc:
        raise invalid("media_id", exc.message) from None
    if not added:
        raise conflict("This photo is on the blocklist already.")
    entry = await audit.record(audit.moderator(moderator_id), "photo_blocked", reason=f"{media_id}: {reason}")
    return {"media_id": media_id, "reason": reason, "log_id": str(entry.id), "at": entry.at}
