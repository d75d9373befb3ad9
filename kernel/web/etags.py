"""ETags from an object's kind, id and version; ``If-Match`` checks on updates."""

from __future__ import annotations

import hashlib

from starlette.requests import Request

from kernel.web.problems import Problem


def etag(kind: str, object_id: object, version: int) -> str:
    # A hash, so the tag carries no author, time or other detail of the object.
    digest = hashlib.sha256(f"{kind}:{object_id}:{version}".encode()).hexdigest()[:20]
    return f'"{digest}"'


def check_if_match(request: Request, current: str, *, required: bool = False) -> None:
    """412 when ``If-Match`` names another version; 428 when it is required and absent."""
    header = request.headers.get("if-match")
    if header is None:
        if required:
            raise Problem(428, "Send If-Match with the ETag you last read.")
        return
    # Strong comparison (RFC 9110 13.1.1): a weak tag never matches, whatever it names.
    tags = {t.strip() for t in header.split(",")}
    if "*" not in tags and current not in tags:
        raise Problem(412, "The object changed since you read it; fetch it again.")
