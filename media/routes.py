"""HTTP routes of the media room: ``/v1/media`` and the published variant files under ``/media/public/``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from typing import IO, Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message

from kernel.web import idempotency
from kernel.web.auth import require
from kernel.web.endpoints import Api, Call, client_address, json_response
from kernel.web.problems import Problem, invalid, not_found
from kernel.web.services import Carrier
from media.interfaces import PRIVATE_CACHE, PUBLIC_CACHE, StorageError, services_of
from media.keys import check_key
from media.models import PENDING, PURPOSES, Upload
from media.schemas import UPLOAD_SCHEMA, MediaOut, media_json
from media.services import MediaService, Reader, unavailable

api = Api("media")

# The multipart envelope around the file: boundaries, part headers and the purpose field.
MULTIPART_OVERHEAD = 64 * 1024
# Starlette's hard ceiling on this route; MEIJI_MAX_UPLOAD_BYTES (20 MB) is enforced below it.
UPLOAD_CEILING = 100 * 1024 * 1024

CASE_TOKEN = "X-Case-Token"  # noqa: S105 - a header name, not a secret


def service_of(call: Carrier) -> MediaService:
    media = services_of(call).media
    if not isinstance(media, MediaService):
        raise Problem(503, "Uploads are not available on this server.")
    return media


def _limited(request: Request, limit: int) -> Request:
    """The request with a body limit that answers 413 problem+json however the body is sent."""
    received = 0
    receive = request.receive

    async def limited_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise Problem(413, f"The file is larger than {limit // (1024 * 1024)} MB.")
        return message

    return Request(request.scope, limited_receive)


def _reader(call: Call[Any, Any]) -> Reader:
    return Reader(call.principal, call.request.headers.get(CASE_TOKEN) or None)


def _expires(upload: Upload, ttl_seconds: int) -> Any:
    return upload.created_at + timedelta(seconds=ttl_seconds) if upload.status == PENDING else None


async def _json(call: Call[Any, Any], service: MediaService, upload: Upload) -> dict[str, Any]:
    principal = call.principal
    uploader = principal is not None and principal.id == upload.owner_id
    private = uploader or (principal is not None and principal.is_moderator)
    view = await service.view(upload)
    # Size and digest only to the uploader: even of the stripped variant, they would let anyone
    # else match the same photo across posts.
    digest = await service.digest(upload) if uploader else None
    return media_json(view, upload, private=private, digest=digest,
                      expires_at=_expires(upload, call.settings.upload_ttl_seconds))


@api.route("POST", "/v1/media", response=MediaOut, status=201, raw_body=True, max_body=UPLOAD_CEILING,
           request_schema=UPLOAD_SCHEMA, headers=("Idempotency-Key",), errors=(401, 403, 413, 415, 422, 429, 503))
async def create_media(call: Call[None, None]) -> Response:
    """Upload an image (multipart field ``file``; ``purpose`` post, avatar or evidence).

    Stored re-encoded as WebP variants with orientation applied and every piece of metadata
    removed. ``purpose=evidence`` may be sent without a token (legal notices); anything else needs one.
    """
    request, principal, settings = call.request, call.principal, call.settings
    service = service_of(call)
    key = idempotency.key_of(request)
    async with _upload_form(call) as (file, purpose):
        sha256, size = await service.fingerprint(file)
        if size == 0:
            raise invalid("file", "the file is empty")
        scope = f"a:{principal.id}" if principal else f"ip:{client_address(request)}"
        # The file's digest stands for the body: the body itself is never held in memory.
        print_ = idempotency.fingerprint(request, f"{purpose}\n{sha256}".encode())
        if key is not None:
            answered = await idempotency.claim(scope, key, print_, settings.idempotency_seconds)
            if answered is not None:
                return answered
        try:
            upload = await service.upload(file, owner_id=principal.id if principal else None, purpose=purpose,
                                          size=size, review=services_of(call).photo_review)
        except BaseException:
            if key is not None:
                # Nothing was stored: the same key may be sent again.
                with contextlib.suppress(Exception):
                    await idempotency.abandon(scope, key)
            raise
    response = json_response(await _json(call, service, upload), 201, headers={"Location": f"/v1/media/{upload.id}"})
    if key is not None:
        await idempotency.complete(scope, key, response)
    return response


@contextlib.asynccontextmanager
async def _upload_form(call: Call[None, None]) -> AsyncIterator[tuple[IO[bytes], str]]:
    """The uploaded file (spooled to disk past 1 MB) and its purpose; 401, 413, 415 or 422 first."""
    request, principal, settings = call.request, call.principal, call.settings
    if principal is None:
        await services_of(call).rate_limiter.hit("upload", client_address(request))
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "multipart/form-data":
        raise Problem(415, "Send the image as multipart/form-data with the file in the field `file`.")
    too_large = Problem(413, f"The file is larger than {settings.max_upload_bytes // (1024 * 1024)} MB.")
    limit = settings.max_upload_bytes + MULTIPART_OVERHEAD
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise too_large
    async with _limited(request, limit).form(max_files=1, max_fields=4, max_part_size=1024) as form:
        file = form.get("file")
        purpose = form.get("purpose") or "post"
        if not isinstance(file, UploadFile):
            raise invalid("file", "attach the image as a file part named file")
        if not isinstance(purpose, str) or purpose not in PURPOSES:
            raise invalid("purpose", f"must be one of {', '.join(PURPOSES)}")
        if principal is None and purpose != "evidence":
            raise Problem(401, "Sign in to upload; only evidence for a legal notice may be sent without an "
                               "account.", headers={"WWW-Authenticate": "Bearer"})
        if principal is not None:
            # A suspended member still uploads evidence for their counter-notice, nothing else.
            require(principal, write=purpose != "evidence")
        if file.size is not None and file.size > settings.max_upload_bytes:
            raise too_large
        yield file.file, purpose


@api.route("GET", "/v1/media/{id}", response=MediaOut, headers=(CASE_TOKEN,), errors=(404,))
async def get_media(call: Call[None, None]) -> Response:
    """An upload, to whoever may see it: anyone while it is served; always its uploader and moderators;
    evidence also with the ``X-Case-Token`` of the legal case it is attached to."""
    service = service_of(call)
    upload = await service.readable(call.path["id"], _reader(call), services_of(call).case_access)
    public = service.served(upload)
    return json_response(await _json(call, service, upload),
                         headers={"Cache-Control": "private, max-age=60" if public else PRIVATE_CACHE})


@api.route("DELETE", "/v1/media/{id}", status=204, auth="member", errors=(404, 409))
async def delete_media(call: Call[None, None]) -> Response:
    """Delete one of my uploads that is not attached to anything."""
    await service_of(call).delete(call.path["id"], call.member)
    return Response(status_code=204)


def image_response(request: Request, data: bytes, upload: Upload, name: str,
                   headers: Mapping[str, str]) -> Response:
    """Variant bytes with headers that keep a browser from taking them for anything but an image."""
    tag = f'"{upload.id}-{name}"'
    common = {
        "ETag": tag,
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'inline; filename="{upload.id}-{name}.webp"',
        "Content-Security-Policy": "default-src 'none'; sandbox",
        **headers,
    }
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=common)
    return Response(data, media_type="image/webp", headers=common)


async def _read(service: MediaService, upload: Upload, name: str) -> bytes:
    try:
        return await service.storage.get(str(upload.variants[name]["key"]))
    except FileNotFoundError:
        raise not_found("media") from None
    except (StorageError, OSError) as exc:
        raise unavailable(exc) from None


@api.route("GET", "/v1/media/{id}/variants/{name}", headers=(CASE_TOKEN,), errors=(404,))
async def get_variant(call: Call[None, None]) -> Response:
    """A variant's bytes through the app, for readers of media that are not public (evidence, hidden
    posts): the same rules as ``GET /v1/media/{id}``, never cached by shared caches."""
    service = service_of(call)
    upload = await service.readable(call.path["id"], _reader(call), services_of(call).case_access)
    name = call.path["name"]
    if name not in upload.variants:
        raise not_found("variant")
    return image_response(call.request, await _read(service, upload, name), upload, name,
                          {"Cache-Control": PRIVATE_CACHE})


@api.route("GET", "/media/public/{id}/{token}/{file}", errors=(404,), rate="media", shared_limit=False)
async def serve_object(call: Call[None, None]) -> Response:
    """A published variant file (local and memory storage), while its upload is served under this
    URL's token; cached for minutes only, since a takedown may end it at any moment."""
    service = service_of(call)
    media_id, token, file = call.path["id"], call.path["token"], call.path["file"]
    try:
        check_key(f"{media_id}/{token}/{file}")
    except ValueError:
        raise not_found("media") from None
    if not file.endswith(".webp"):
        raise not_found("media")
    name = file.removesuffix(".webp")
    upload, key = await service.public_variant(media_id, token, name)
    try:
        data = await service.storage.get(key)
    except FileNotFoundError:
        raise not_found("media") from None
    except (StorageError, OSError) as exc:
        raise unavailable(exc) from None
    return image_response(call.request, data, upload, name, {"Cache-Control": PUBLIC_CACHE})


routes = api.routes
