"""Favourites (收藏): a member keeps diaries, reviews, questions, answers and encyclopedia pages.

Only public content can be favourited (the public's answer otherwise: 404, 451/410). The list is the
member's own: newest favourite first, and a favourite of content that left the public (hidden,
removed, deleted) shows as ``{target_type, target_id, created_at, available: false}``, never its
text, from the moment it left. Favouriting twice keeps one row (``INSERT … ON CONFLICT DO NOTHING``).
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from content._listing import keyset
from content.interfaces import ContentServices
from content.models.favourites import Favourite
from content.models.questions import Question
from content.models.wiki import WikiPage
from content.schemas.favourites import FavouriteQuery
from content.services import lifecycle
from content.visibility import KINDS, PUBLIC, open_to_writes, parse_id, target
from kernel import db
from kernel.clock import now
from kernel.rows import fetch
from kernel.web.auth import Principal
from kernel.web.problems import not_found

PREVIEW_CHARS = 120


_INSERT = {
    "postgres": "INSERT INTO content_favourite (member_id, target_type, target_id, created_at) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    "sqlite": "INSERT INTO content_favourite (member_id, target_type, target_id, created_at) "
              "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
}


def _insert_sql() -> str:
    return _INSERT["postgres" if db.dialect() == "postgres" else "sqlite"]


async def _page_id(slug_or_id: str) -> str:
    """An encyclopedia page is named by its slug or its id; favourites keep the id."""
    number = parse_id(slug_or_id)
    found = await WikiPage.filter(id=number).first() if number is not None else None
    if found is None and db.holds(WikiPage, "slug", slug_or_id):
        found = await WikiPage.filter(slug=slug_or_id).first()
    if found is None:
        raise not_found("encyclopedia page")
    return str(found.id)


async def favourite(member: Principal, target_type: str, target_id: str) -> None:
    """Keep a public post (idempotent)."""
    if target_type == "wiki":
        target_id = await _page_id(target_id)
    kind_, obj = await target(target_type, target_id, member, read_only=True)
    await open_to_writes(kind_, obj)
    async with in_transaction() as conn:
        await conn.execute_query(_insert_sql(), [member.id, target_type, str(obj.id), now()])


async def unfavourite(member: Principal, target_type: str, target_id: str) -> None:
    """Let go of a favourite (idempotent), whatever became of the post meanwhile."""
    if target_type == "wiki":
        number = parse_id(target_id)
        if number is None and db.holds(WikiPage, "slug", target_id):
            page = await WikiPage.filter(slug=target_id).first()
            number = page.id if page is not None else None
    else:
        number = parse_id(target_id)
    if number is not None:
        await Favourite.filter(member_id=member.id, target_type=target_type, target_id=str(number)).delete()


async def _public(target_type: str, keys: list[str]) -> dict[str, tuple[str, Any]]:
    """The title and row of those among ``keys`` that the public may read now (an answer only under a
    public question)."""
    numbers = [n for n in (parse_id(k) for k in keys) if n is not None]
    if not numbers:
        return {}
    rows = await fetch(KINDS[target_type].model.filter(id__in=numbers, status=PUBLIC))
    titles: dict[int, str] = {}
    if target_type == "answer":
        titles = dict(await Question.filter(id__in={r.question_id for r in rows}, status=PUBLIC)
                      .values_list("id", "title"))
        rows = [r for r in rows if r.question_id in titles]
    # An answer has no title of its own: it shows its question's.
    return {str(r.id): (titles.get(r.question_id, "") if titles else KINDS[target_type].title(r), r) for r in rows}


def _preview(target_type: str, row: Any) -> str:
    # A page's summary says what it is about better than the start of its body.
    text = row.summary if target_type == "wiki" and row.summary else KINDS[target_type].preview(row)
    return str(text)[:PREVIEW_CHARS]


async def my_favourites(member: Principal, query: FavouriteQuery) -> tuple[list[dict[str, Any]], Any]:
    """The member's favourites, newest first; what left the public shows as unavailable, without text."""
    qs = Favourite.filter(member_id=member.id)
    if query.target_type is not None:
        qs = qs.filter(target_type=query.target_type)
    rows, after = await keyset(qs, query)
    by_type: dict[str, list[str]] = {}
    for r in rows:
        by_type.setdefault(str(r.target_type), []).append(str(r.target_id))
    public = {t: await _public(t, keys) for t, keys in by_type.items()}
    items = []
    for r in rows:
        found = public[r.target_type].get(str(r.target_id))
        item: dict[str, Any] = {"target_type": r.target_type, "target_id": str(r.target_id),
                                "created_at": r.created_at, "available": found is not None}
        if found is not None:
            item["title"], item["preview"] = str(found[0]), _preview(r.target_type, found[1])
        items.append(item)
    return items, after


async def _export(member_id: int) -> list[dict[str, Any]]:
    return [{"target_type": x.target_type, "target_id": x.target_id, "created_at": x.created_at}
            for x in await Favourite.filter(member_id=member_id).order_by("id")]


async def _erase(services: ContentServices, member_id: int, mode: str) -> None:
    await Favourite.filter(member_id=member_id).delete()  # personal data: gone with the account


lifecycle.EXPORTERS["favourites"] = _export
lifecycle.ERASERS.append(_erase)
