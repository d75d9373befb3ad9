"""``/v1/likes/{target_type}/{target_id}``: like and unlike, idempotently."""

from __future__ import annotations

from content.schemas.likes import LIKE_TARGETS, LikeOut
from content.services import likes
from kernel.web.endpoints import Api, Call
from kernel.web.problems import not_found

api = Api("likes")


def _target(call: Call[None, None]) -> tuple[str, str]:
    target_type = str(call.path["target_type"])
    if target_type not in LIKE_TARGETS:
        raise not_found("likeable content type")
    return target_type, str(call.path["target_id"])


@api.route("PUT", "/v1/likes/{target_type}/{target_id}", response=LikeOut, auth="member",
           errors=(404, 451))
async def like(call: Call[None, None]) -> object:
    """Like a diary, diary entry, review, question, answer or comment (twice counts once)."""
    return await likes.like(call.member, *_target(call))


@api.route("DELETE", "/v1/likes/{target_type}/{target_id}", response=LikeOut, auth="member",
           errors=(404, 451))
async def unlike(call: Call[None, None]) -> object:
    """Take a like back (no error when there was none)."""
    return await likes.unlike(call.member, *_target(call))


routes = api.routes
