"""Likes (点赞): one per member per object, counted on the object with atomic updates (``bump``).

Likeable: diaries, diary entries, reviews, questions, answers and comments (``LIKE_TARGETS``). Liking
twice counts once, unliking what one never liked changes nothing; only published content under
published parents can be liked or unliked: otherwise the answer is the public's (404, or 451/410 when
removed), even for its author or a moderator who may read it.
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from content.interfaces import ContentServices
from content.models.likes import Like
from content.services import lifecycle, professionals
from content.visibility import bump, kind, open_to_writes, target
from kernel import db
from kernel.clock import now
from kernel.rows import fetch_by_id
from kernel.web.auth import Principal
from kernel.web.problems import Problem

# A like's statements, written once: every like runs them, and built through Tortoise on each call
# they cost more than the database took to answer them.
# RETURNING: a row comes back only when the like is new, on both databases (SQLite >= 3.35).
_INSERT = ("INSERT INTO content_like (target_type, target_id, member_id, created_at) VALUES (?, ?, ?, ?) "
           "ON CONFLICT DO NOTHING RETURNING id")
_LIKED = "SELECT 1 FROM content_like WHERE target_type = ? AND target_id = ? AND member_id = ? LIMIT 1"


async def count_of(target_type: str, target_id: str) -> int:
    row = await fetch_by_id(kind(target_type).model, int(target_id))
    return int(row.like_count) if row is not None else 0


def _answer(target_type: str, target_id: str, liked: bool, count: int) -> dict[str, Any]:
    return {"target_type": target_type, "target_id": target_id, "liked": liked, "like_count": count}


async def like(member: Principal, target_type: str, target_id: str) -> dict[str, Any]:
    """Like once (idempotent); ``like_count`` grows only when the like is new."""
    kind_, obj = await target(target_type, target_id, member, read_only=True)
    await open_to_writes(kind_, obj)
    await professionals.check_may_like(member, target_type)
    key = str(obj.id)
    _, liked = await db.connection().execute_query(db.placeholders(_LIKED), [target_type, key, member.id])
    if liked:
        return _answer(target_type, key, True, int(obj.like_count))  # liked already: nothing to write
    async with in_transaction() as conn:
        # INSERT ... ON CONFLICT DO NOTHING is the write that decides: a second like inserts nothing.
        # (Tortoise's asyncpg execute_query reads an INSERT's row count from the oid slot: use the rows.)
        inserted = await conn.execute_query_dict(db.placeholders(_INSERT), [target_type, key, member.id, now()])
        if inserted:
            await bump(target_type, obj.id, like_count=1)
    return _answer(target_type, key, True, await count_of(target_type, key))


async def unlike(member: Principal, target_type: str, target_id: str) -> dict[str, Any]:
    """Take a like back (idempotent); ``like_count`` drops only when there was one."""
    kind_, obj = await target(target_type, target_id, member, read_only=True)
    await open_to_writes(kind_, obj)
    key = str(obj.id)
    async with in_transaction():
        removed = await Like.filter(target_type=target_type, target_id=key, member_id=member.id).delete()
        if removed:
            await bump(target_type, obj.id, like_count=-1)
    return _answer(target_type, key, False, await count_of(target_type, key))


async def _export(member_id: int) -> list[dict[str, Any]]:
    return [{"target_type": x.target_type, "target_id": x.target_id, "created_at": x.created_at}
            for x in await Like.filter(member_id=member_id).order_by("id")]


async def _erase(services: ContentServices, member_id: int, mode: str) -> None:
    # Likes are personal data: they go with the account either way, and the counters follow.
    for row in await Like.filter(member_id=member_id):
        async with in_transaction():
            if await Like.filter(id=row.id).delete():
                try:
                    await bump(row.target_type, int(row.target_id), like_count=-1)
                except Problem:
                    pass  # a type that is no longer registered


lifecycle.EXPORTERS["likes"] = _export
lifecycle.ERASERS.append(_erase)
