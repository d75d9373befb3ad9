"""HTTP routes: verified clinic staff and doctors (admins link them), and official replies to reviews."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.responses import Response

from content.interfaces import services_of
from content.schemas.professionals import LinkOut, ReplyIn, ReplyOut
from content.schemas.reviews import ReviewOut
from content.services import professionals, reviews
from content.visibility import post_etag
from kernel.web.endpoints import Api, Call, json_response
from kernel.web.etags import check_if_match

api = Api("professionals")


@api.route("PUT", "/v1/clinics/{id}/staff/{account_id}", response=LinkOut, auth="admin", errors=(404, 409))
async def link_staff(call: Call[None, None]) -> object:
    """Verify an account as staff of the clinic: it may reply to the clinic's reviews."""
    return await professionals.link(services_of(call), professionals.CLINIC, call.path["id"],
                                    call.path["account_id"])


@api.route("DELETE", "/v1/clinics/{id}/staff/{account_id}", status=204, auth="admin", errors=(404,))
async def unlink_staff(call: Call[None, None]) -> Response:
    """The account is no longer the clinic's staff."""
    await professionals.unlink(professionals.CLINIC, call.path["id"], call.path["account_id"])
    return Response(status_code=204)


@api.route("PUT", "/v1/doctors/{id}/account/{account_id}", response=LinkOut, auth="admin", errors=(404, 409))
async def link_doctor(call: Call[None, None]) -> object:
    """Verify an account as the doctor: its named answers are marked as the doctor's."""
    return await professionals.link(services_of(call), professionals.DOCTOR, call.path["id"],
                                    call.path["account_id"])


@api.route("DELETE", "/v1/doctors/{id}/account/{account_id}", status=204, auth="admin", errors=(404,))
async def unlink_doctor(call: Call[None, None]) -> Response:
    """The account is no longer the doctor; its answers lose the doctor's mark."""
    await professionals.unlink(professionals.DOCTOR, call.path["id"], call.path["account_id"])
    return Response(status_code=204)


@api.route("PUT", "/v1/reviews/{id}/reply", body=ReplyIn, response=ReviewOut, auth="member",
           errors=(403, 404, 410, 412, 451))
async def put_reply(call: Call[ReplyIn, None]) -> Response:
    """The reviewed clinic's staff or the reviewed doctor writes or replaces the one official reply.

    Answers the review with its ``reply``; the ETag is the reply's (for If-Match on the next PUT)."""
    review, reply = await professionals.put_reply(services_of(call), call.member, call.path["id"], call.body.body,
                                                  partial(check_if_match, call.request))
    [data] = await reviews.reviews_json(services_of(call), [review], call.principal)
    return json_response(data, 200, headers={"ETag": post_etag("review_reply", reply)})


@api.route("DELETE", "/v1/reviews/{id}/reply", status=204, auth="member", errors=(403, 404, 410, 451))
async def delete_reply(call: Call[None, None]) -> Response:
    """The clinic or doctor takes its official reply back."""
    await professionals.delete_reply(services_of(call), call.member, call.path["id"])
    return Response(status_code=204)


@api.route("GET", "/v1/review-replies/{id}", response=ReplyOut, errors=(404, 410, 451))
async def get_reply(call: Call[None, None]) -> Any:
    """One official reply (what a report or a moderator names), readable while its review is."""
    return await professionals.get_reply(call.principal, call.path["id"])


routes = api.routes
