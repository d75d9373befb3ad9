"""``/v1/wiki``: the encyclopedia (百科), written by editors, every save a numbered revision."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from content.interfaces import services_of
from content.models.wiki import WikiPage as Page
from content.schemas.wiki import (
    DiffOut,
    DiffQuery,
    RevertIn,
    RevisionFullOut,
    RevisionPage,
    WikiIn,
    WikiOut,
    WikiPage,
    WikiQuery,
)
from content.services import wiki
from kernel.web.endpoints import Api, Call, json_response
from kernel.web.etags import check_if_match
from kernel.web.pagination import PageQuery, page

api = Api("wiki")


def _page(page_: Page, status: int = 200) -> Response:
    headers = {"ETag": wiki.page_etag(page_)}
    if status == 201:
        headers["Location"] = f"/v1/wiki/{quote(page_.slug, safe='')}"  # a slug may be 热玛吉: percent-encoded
    return json_response(wiki.page_json(page_), status, headers)


def _conditional(call: Call[Any, Any]) -> bool:
    return "if-match" in call.request.headers


@api.route("GET", "/v1/wiki", query=WikiQuery, response=WikiPage)
async def list_pages(call: Call[None, WikiQuery]) -> object:
    """Encyclopedia pages, optionally about one procedure."""
    rows, after = await wiki.list_pages(call.query)
    return page([wiki.summary_json(p) for p in rows], after)


@api.route("GET", "/v1/wiki/{slug}", response=WikiOut, errors=(404, 451))
async def get_page(call: Call[None, None]) -> Response:
    """One page, by slug (or by the id search results carry)."""
    return _page(await wiki.get_page(call.principal, str(call.path["slug"])))


@api.route("PUT", "/v1/wiki/{slug}", body=WikiIn, response=WikiOut, auth="editor",
           errors=(409, 412, 428))
async def put_page(call: Call[WikiIn, None]) -> Response:
    """Create a page (201), or save a new revision of it with If-Match (200; 428 without, 412 if stale)."""
    page_, created = await wiki.save_page(
        services_of(call), call.member, str(call.path["slug"]), call.body, _conditional(call),
        lambda tag, required: check_if_match(call.request, tag, required=required))
    return _page(page_, 201 if created else 200)


@api.route("GET", "/v1/wiki/{slug}/revisions", query=PageQuery, response=RevisionPage, errors=(404, 451))
async def list_revisions(call: Call[None, PageQuery]) -> object:
    """A page's revisions, newest first, with editor, time and comment."""
    rows, after = await wiki.list_revisions(call.principal, str(call.path["slug"]), call.query)
    return page(await wiki.revision_json(services_of(call), rows, viewer=call.principal), after)


@api.route("GET", "/v1/wiki/{slug}/revisions/{n}", response=RevisionFullOut, errors=(404, 451))
async def get_revision(call: Call[None, None]) -> object:
    """One revision, with the page's content as it was saved then."""
    page_, revision = await wiki.get_revision(call.principal, str(call.path["slug"]), str(call.path["n"]))
    [data] = await wiki.revision_json(services_of(call), [revision], page_, full=True, viewer=call.principal)
    return data


@api.route("GET", "/v1/wiki/{slug}/diff", query=DiffQuery, response=DiffOut, errors=(404, 451))
async def diff(call: Call[None, Any]) -> object:
    """What changed between two revisions (`?from=3&to=7`): changed fields and a line diff of the text.

    Content stays null to all but moderators when either revision is suppressed.
    """
    return await wiki.diff(services_of(call), call.principal, str(call.path["slug"]),
                           int(getattr(call.query, "from")), int(call.query.to))


@api.route("POST", "/v1/wiki/{slug}/revert", body=RevertIn, response=WikiOut, status=201, auth="editor",
           idempotent=True, errors=(404, 412))
async def revert(call: Call[RevertIn, None]) -> Response:
    """Save an earlier revision's content as a new revision."""
    page_ = await wiki.revert(services_of(call), call.member, str(call.path["slug"]), call.body, _conditional(call),
                              lambda tag, required: check_if_match(call.request, tag, required=required))
    return _page(page_, 201)


routes = api.routes
