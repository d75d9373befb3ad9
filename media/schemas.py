"""What the media routes answer, as pydantic models (for OpenAPI) and the functions that fill them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

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


class MediaOut(BaseModel):
    """An upload: its size, the SHA-256 of the original file, and its WebP variants."""

    id: str
    width: int
    height: int
    bytes: int
    sha256: str
    purpose: str
    variants: VariantsOut
    # Only for the uploader and moderators:
    status: str | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None


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


def media_json(view: MediaView, upload: Upload, *, private: bool, expires_at: datetime | None) -> dict[str, Any]:
    """The JSON of ``GET /v1/media/{id}``; ``private`` adds what only the uploader and moderators see."""
    data: dict[str, Any] = {
        "id": view.id,
        "width": view.width,
        "height": view.height,
        "bytes": view.bytes,
        "sha256": view.sha256,
        "purpose": view.purpose,
        "variants": {name: {"url": v.url, "width": v.width, "height": v.height}
                     for name, v in view.variants.items()},
    }
    if private:
        data.update(status=upload.status, created_at=upload.created_at, expires_at=expires_at)
    return data
