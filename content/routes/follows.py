"""``/v1/follows/{target_type}/{target_id}`` and ``/v1/me/follows``: follow and unfollow, idempotently."""

from __future__ import annotations

from starlette.responses import Response

from content.interfaces import services_of
from content.schemas.follows import FOLLOW_TARGETS, FollowOut, FollowQuery
from content.services import follows
from kernel.web.endpoints import Api, Call
from kernel.web.pagination import Page, page
from kernel.web.problems import not_found

api = Api("follows")


def _target(call: Call[None, None]) -> tuple[str, str]:
    target_type = str(call.path["target_type"])
    if target_type not in FOLLOW_TARGETS:
        raise not_found("followable type")
    return target_type, str(call.path["target_id"])


@api.route("PUT", "/v1/follows/{target_type}/{target_id}", status=204, auth="member", errors=(404, 451))
async def follow(call: Call[None, None]) -> Response:
    """Follow an account, a diary (anonymous ones too), a question, a procedure (by slug), a clinic or a doctor."""
    await follows.follow(services_of(call), call.member, *_target(call))
    return Response(status_code=204)


@api.route("DELETE", "/v1/follows/{target_type}/{target_id}", status=204, auth="member", errors=(404,),
           suspended_ok=True)
async def unfollow(call: Call[None, None]) -> Response:
    """Stop following (no error when one did not follow)."""
    await follows.unfollow(call.member, *_target(call))
    return Response(status_code=204)


@api.route("GET", "/v1/me/follows", query=FollowQuery, response=Page[FollowOut], auth="member")
async def my_follows(call: Call[None, FollowQuery]) -> object:
    """What I follow, newest first; what is gone or no longer public shows ``available: false``."""
    items, after = await follows.my_follows(services_of(call), call.member, call.query)
    return page(items, after)


routes = api.routes
