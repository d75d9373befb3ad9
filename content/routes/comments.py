"""``/v1/comments``: comments on posts, one level of replies."""

from __future__ import annotations

from starlette.responses import Response

from content.interfaces import services_of
from content.schemas.comments import CommentIn, CommentOut, CommentPage, CommentQuery
from content.services import comments
from kernel.web.endpoints import Api, Call, json_response
from kernel.web.pagination import page

api = Api("comments")


@api.route("POST", "/v1/comments", body=CommentIn, response=CommentOut, status=201, auth="member",
           idempotent=True, errors=(404, 451), posting=True)
async def create_comment(call: Call[CommentIn, None]) -> Response:
    """Comment on a diary, diary entry, review or answer, or reply to a comment there."""
    comment = await comments.create_comment(services_of(call), call.member, call.body)
    [data] = await comments.comment_json(services_of(call), call.principal, [comment], new=True)
    return json_response(data, 201, {"Location": f"/v1/comments/{comment.id}"})


@api.route("GET", "/v1/comments", query=CommentQuery, response=CommentPage, errors=(404, 451), kept=True)
async def list_comments(call: Call[None, CommentQuery]) -> object:
    """A target's comments in thread order (each top-level comment followed by its replies)."""
    rows, after = await comments.list_comments(call.principal, call.query)
    return page(await comments.comment_json(services_of(call), call.principal, rows), after)


@api.route("GET", "/v1/comments/{id}", response=CommentOut, errors=(404, 451))
async def get_comment(call: Call[None, None]) -> object:
    """One comment."""
    comment = await comments.show_comment(call.principal, call.path["id"])
    [data] = await comments.comment_json(services_of(call), call.principal, [comment])
    return data


@api.route("DELETE", "/v1/comments/{id}", status=204, auth="member", errors=(403, 404, 451),
           suspended_ok=True)
async def delete_comment(call: Call[None, None]) -> Response:
    """The commenter deletes the comment; replies to it stay."""
    await comments.delete_comment(services_of(call), call.member, call.path["id"])
    return Response(status_code=204)


routes = api.routes
