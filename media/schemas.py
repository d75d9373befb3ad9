"""What the media routes answer, as pydantic models (for OpenAPI) and the functions that fill them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from media.interfaces import MediaView
from media.models import PURPOSES, Upload


class VariantOut(BaseModel):
    url: str
    width: int
    height: int


class VariantsOut(BaseModel):
    thumb: VariantOut
    medium: VariantOut
    large: VariantOut


class TakedownOut(BaseModel):
    """Moderation acting on one photo. In a post's photo lists a removed photo is a placeholder for
    everyone but its author and moderators: ``{id, width, height, variants: {}, takedown}``."""

    status: str = Field(description="removed, or hidden (held for review)")
    case_id: str | None = Field(description="the legal case that removed it (a 451), or for a held upload the case "
                                            "whose removed photo it matches; null for a policy removal (a 410)")
    reason: str | None = Field(description="the notice type (copyright, portrait...) or the policy reason; "
                                           "matches_removed_photo for an upload held for review")


class MediaOut(BaseModel):
    """An upload: its size and WebP variants; for its uploader, the size and SHA-256 of the stored
    ``large`` variant (metadata stripped; nothing of the original file is kept)."""

    id: str
    width: int
    height: int
    purpose: str
    variants: VariantsOut
    # Only for the uploader:
    bytes: int | None = None
    sha256: str | None = None
    # Only for the uploader and moderators:
    status: str | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None
    takedown: TakedownOut | None = Field(None, description=(
        "to the uploader and moderators, when moderation acts on this photo alone: removed (its URLs "
        "answer 451 or 410 to others; posts show a placeholder with the case and the reason) or hidden "
        "(held for review, e.g. it matches a photo removed on the legal notice case_id)"))


UPLOAD_SCHEMA: dict[str, Any] = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["file"],
            "properties": {
                "file": {"type": "string", "contentMediaType": "application/octet-stream",
                         "description": "JPEG, PNG, WebP, GIF (first frame), AVIF or HEIC; at most 20 MB and "
                                        "40 megapixels"},
                "purpose": {"type": "string", "enum": list(PURPOSES), "default": "post"},
            },
        },
    },
}


def media_json(view: MediaView, upload: Upload, *, private: bool, digest: tuple[int, str] | None,
               expires_at: datetime | None) -> dict[str, Any]:
    """The JSON of ``GET /v1/media/{id}``; ``private`` adds what only the uploader and moderators see,
    ``digest`` the stored variant's ``(bytes, sha256)`` that only the uploader sees."""
    data: dict[str, Any] = {
        "id": view.id,
        "width": view.width,
        "height": view.height,
        "purpose": view.purpose,
        "variants": {name: {"url": v.url, "width": v.width, "height": v.height}
                     for name, v in view.variants.items()},
    }
    if digest is not None:
        data.update(bytes=digest[0], sha256=digest[1])
    if private:
        data.update(status=upload.status, created_at=upload.created_at, expires_at=expires_at,
                    takedown=view.takedown.as_json() if view.takedown else None)
    return data
