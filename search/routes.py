"""``/v1/search`` and ``/v1/search/suggest``."""

from __future__ import annotations

from kernel.web.endpoints import Api, Call
from kernel.web.pagination import decode_cursor, page
from search import services
from search.interfaces import services_of
from search.schemas import SearchPage, SearchQuery, SuggestionList, SuggestQuery

api = Api("search")


@api.route("GET", "/v1/search", query=SearchQuery, response=SearchPage)
async def search(call: Call[None, SearchQuery]) -> object:
    """Full-text search over published diaries, reviews, questions, answers and wiki pages.

    Posts that contain the query come first; then posts that only sound like it: pinyin
    (shuangyanpi) and homophone typos (双眼脾, 玻尿算) find what was meant, with ``match: "sound"``.
    """
    q = call.query
    values = decode_cursor(q.cursor, [int])
    offset = values[0] if values else 0
    results, next_offset = await services.search(services_of(call).search, q.q, types=q.types, procedure=q.procedure,
                                                  clinic_id=q.clinic_id, sort=q.sort, limit=q.limit,
                                                  offset=offset)
    items = [{"type": h.type, "id": h.id, "title": h.title, "snippet": h.snippet, "score": round(h.score, 4),
              "created_at": h.created_at, "procedure": h.procedure, "match": h.match} for h in results.hits]
    return {**page(items, [next_offset] if next_offset is not None else None), "total": results.total,
            "total_is_estimate": results.total_is_estimate}


@api.route("GET", "/v1/search/suggest", query=SuggestQuery, response=SuggestionList)
async def suggest(call: Call[None, SuggestQuery]) -> object:
    """Completions from procedure names, wiki titles and their aliases, also by pinyin (sy → 双眼皮)."""
    found = await services_of(call).search.suggest(call.query.q, call.query.limit)
    return {"items": [{"text": s.text, "type": s.type} for s in found]}


routes = api.routes
