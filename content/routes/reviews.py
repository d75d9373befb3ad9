"""HTTP routes: reviews (评价) of clinics and doctors."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.responses import Response

from content.interfaces import services_of
from content.models.reviews import Review
from content.schemas.reviews import ReviewIn, ReviewOut, ReviewPatch, ReviewQuery
from content.services import reviews as services
from content.visibility import post_etag
from kernel.web.endpoints import Api, Call, json_response
from kernel.web.etags import check_if_match
from kernel.web.pagination import Page, page

api = Api("reviews")


async def _review(call: Call[Any, Any], review: Review, status: int = 200) -> Response:
    [data] = await services.reviews_json(services_of(call), [review], call.principal)
    return json_response(data, status, headers={"ETag": post_etag("review", review)})


@api.route("POST", "/v1/reviews", body=ReviewIn, response=ReviewOut, status=201, auth="member", idempotent=True,
           errors=(409,), posting=True)
async def create_review(call: Call[ReviewIn, None]) -> Response:
    """Review a clinic or a doctor (one live review per target)."""
    review = await services.create_review(services_of(call), call.member, call.body)
    return await _review(call, review, 201)


@api.route("GET", "/v1/reviews", query=ReviewQuery, response=Page[ReviewOut], kept=True)
async def list_reviews(call: Call[None, ReviewQuery]) -> object:
    """Published reviews, recent or most helpful first."""
    rows, after = await services.list_reviews(call.query, call.principal)
    return page(await services.reviews_json(services_of(call), rows, call.principal), after)


@api.route("GET", "/v1/reviews/{id}", response=ReviewOut, errors=(404, 451))
async def get_review(call: Call[None, None]) -> Response:
    """One review."""
    return await _review(call, await services.show_review(call.path["id"], call.principal))


@api.route("PATCH", "/v1/reviews/{id}", body=ReviewPatch, response=ReviewOut, auth="member",
           errors=(403, 404, 412, 451))
async def patch_review(call: Call[ReviewPatch, None]) -> Response:
    """The author edits the review (If-Match honoured); the target's rating follows."""
    review = await services.update_review(services_of(call), call.member, call.path["id"], call.body,
                                          partial(check_if_match, call.request))
    return await _review(call, review)


@api.route("DELETE", "/v1/reviews/{id}", status=204, auth="member", errors=(403, 404, 451),
           suspended_ok=True)
async def delete_review(call: Call[None, None]) -> Response:
    """The author deletes the review; the target's rating no longer counts it."""
    await services.delete_review(services_of(call), call.member, call.path["id"])
    return Response(status_code=204)


routes = api.routes
