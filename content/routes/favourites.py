"""``/v1/favorites/{target_type}/{target_id}`` and ``/v1/me/favorites``: a member's own favourites (收藏)."""

from __future__ import annotations

from starlette.responses import Response

from content.schemas.favourites import FAVOURITE_TARGETS, FavouriteOut, FavouriteQuery
from content.services import favourites
from kernel.web.endpoints import Api, Call
from kernel.web.pagination import Page, page
from kernel.web.problems import not_found

api = Api("favorites")


def _target(call: Call[None, None]) -> tuple[str, str]:
    target_type = str(call.path["target_type"])
    if target_type not in FAVOURITE_TARGETS:
        raise not_found("favouritable type")
    return target_type, str(call.path["target_id"])


@api.route("PUT", "/v1/favorites/{target_type}/{target_id}", status=204, auth="member", errors=(404, 451))
async def favourite(call: Call[None, None]) -> Response:
    """Keep a diary, review, question, answer or encyclopedia page (by slug or id); twice keeps one."""
    await favourites.favourite(call.member, *_target(call))
    return Response(status_code=204)


@api.route("DELETE", "/v1/favorites/{target_type}/{target_id}", status=204, auth="member", errors=(404,),
           suspended_ok=True)
async def unfavourite(call: Call[None, None]) -> Response:
    """Let go of a favourite (no error when there was none)."""
    await favourites.unfavourite(call.member, *_target(call))
    return Response(status_code=204)


@api.route("GET", "/v1/me/favorites", query=FavouriteQuery, response=Page[FavouriteOut], auth="member")
async def my_favourites(call: Call[None, FavouriteQuery]) -> object:
    """My favourites, newest first; one that left the public shows ``available: false`` and no text."""
    items, after = await favourites.my_favourites(call.member, call.query)
    return page(items, after)


routes = api.routes
