"""HTTP routes: diaries (日记本) and their entries."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.responses import Response

from content.interfaces import services_of
from content.models.diaries import Diary, DiaryEntry
from content.schemas.diaries import DiaryIn, DiaryOut, DiaryPatch, DiaryQuery, EntryIn, EntryOut, EntryPatch
from content.services import diaries as services
from content.visibility import post_etag
from kernel.web.endpoints import Api, Call, json_response
from kernel.web.etags import check_if_match
from kernel.web.pagination import Page, PageQuery, page

api = Api("diaries")


async def _diary(call: Call[Any, Any], diary: Diary, status: int = 200) -> Response:
    [data] = await services.diaries_json(services_of(call), [diary], call.principal)
    return json_response(data, status, headers={"ETag": post_etag("diary", diary)})


async def _entry(call: Call[Any, Any], entry: DiaryEntry, status: int = 200) -> Response:
    [data] = await services.entries_json(services_of(call), [entry], call.principal)
    return json_response(data, status, headers={"ETag": post_etag("diary_entry", entry)})


@api.route("POST", "/v1/diaries", body=DiaryIn, response=DiaryOut, status=201, auth="member", idempotent=True,
           posting=True)
async def create_diary(call: Call[DiaryIn, None]) -> Response:
    """Start a diary of a procedure, with before photos."""
    diary = await services.create_diary(services_of(call), call.member, call.body)
    return await _diary(call, diary, 201)


@api.route("GET", "/v1/diaries", query=DiaryQuery, response=Page[DiaryOut], kept=True)
async def list_diaries(call: Call[None, DiaryQuery]) -> object:
    """Published diaries, recent or popular first; author_id never lists anonymous diaries to others."""
    rows, after = await services.list_diaries(call.query, call.principal)
    return page(await services.diaries_json(services_of(call), rows, call.principal), after)


@api.route("GET", "/v1/diaries/{id}", response=DiaryOut, errors=(404, 451))
async def get_diary(call: Call[None, None]) -> Response:
    """One diary with its before and after photos."""
    return await _diary(call, await services.show_diary(call.path["id"], call.principal))


@api.route("PATCH", "/v1/diaries/{id}", body=DiaryPatch, response=DiaryOut, auth="member",
           errors=(403, 404, 412, 451))
async def patch_diary(call: Call[DiaryPatch, None]) -> Response:
    """The author edits the diary (If-Match honoured)."""
    diary = await services.update_diary(services_of(call), call.member, call.path["id"], call.body,
                                        partial(check_if_match, call.request))
    return await _diary(call, diary)


@api.route("DELETE", "/v1/diaries/{id}", status=204, auth="member", errors=(403, 404, 451),
           suspended_ok=True)
async def delete_diary(call: Call[None, None]) -> Response:
    """The author deletes the diary: gone for everyone, photos no longer served."""
    await services.delete_diary(services_of(call), call.member, call.path["id"])
    return Response(status_code=204)


@api.route("POST", "/v1/diaries/{id}/entries", body=EntryIn, response=EntryOut, status=201, auth="member",
           idempotent=True, errors=(403, 404, 451), posting=True)
async def create_entry(call: Call[EntryIn, None]) -> Response:
    """The diary's author adds a day (术后第N天)."""
    entry = await services.create_entry(services_of(call), call.member, call.path["id"], call.body)
    return await _entry(call, entry, 201)


@api.route("GET", "/v1/diaries/{id}/entries", query=PageQuery, response=Page[EntryOut], errors=(404, 451), kept=True)
async def list_entries(call: Call[None, PageQuery]) -> object:
    """A diary's entries in day order."""
    rows, after = await services.list_entries(call.path["id"], call.query, call.principal)
    return page(await services.entries_json(services_of(call), rows, call.principal), after)


@api.route("PATCH", "/v1/diary-entries/{id}", body=EntryPatch, response=EntryOut, auth="member",
           errors=(403, 404, 412, 451))
async def patch_entry(call: Call[EntryPatch, None]) -> Response:
    """The author edits an entry (If-Match honoured)."""
    entry = await services.update_entry(services_of(call), call.member, call.path["id"], call.body,
                                        partial(check_if_match, call.request))
    return await _entry(call, entry)


@api.route("DELETE", "/v1/diary-entries/{id}", status=204, auth="member", errors=(403, 404, 451),
           suspended_ok=True)
async def delete_entry(call: Call[None, None]) -> Response:
    """The author deletes an entry."""
    await services.delete_entry(services_of(call), call.member, call.path["id"])
    return Response(status_code=204)


routes = api.routes
