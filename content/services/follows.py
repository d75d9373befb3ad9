"""Follows (关注): a member follows accounts, diaries, questions, procedures, clinics and doctors.

Following is idempotent: the ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` decides whether the
follow is new, and only a new one moves the target's ``follower_count``, by an atomic increment in
the same transaction: on the row of a diary or a question (read with every list of them at no
cost), in ``content_follower_count`` (one row per target, an upsert) for the other kinds.
Unfollowing what one never followed changes nothing.

Anonymity: a follow names the target, never its author; an account's followers are a count that
nobody can list (a member lists only what they follow themself). Following a diary or a question
needs it to be public (the public's answer otherwise: 404, 451/410), whoever its author is;
following an anonymous diary tells the follower nothing more than its public page does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from content._listing import keyset
from content.interfaces import ContentServices
from content.models.diaries import Diary
from content.models.follows import Follow, FollowerCount
from content.models.questions import Question
from content.models.reference import Clinic, Doctor, Procedure
from content.schemas.follows import FollowQuery
from content.services import feed, lifecycle
from content.services.marks import marks as reader_marks
from content.visibility import KINDS, open_to_writes, parse_id, target
from kernel import db
from kernel.clock import now
from kernel.rows import fetch
from kernel.web.auth import Principal
from kernel.web.problems import invalid, not_found

# Followable posts: their public page must be readable to follow them, and they leave lists as they
# leave the public.
POST_TARGETS = ("diary", "question")


# The kinds whose follower count lives on their own row.
ON_ROW: dict[str, type[Diary] | type[Question]] = {"diary": Diary, "question": Question}


async def _resolve(services: ContentServices, member: Principal, target_type: str, target_id: str) -> str:
    """The key under which a follow of this target is stored; 404 when it cannot be followed."""
    if target_type == "procedure":
        if not db.holds(Procedure, "slug", target_id) or not await Procedure.exists(slug=target_id):
            raise not_found("procedure")
        return target_id
    if target_type in POST_TARGETS:
        kind_, obj = await target(target_type, target_id, member, read_only=True)
        await open_to_writes(kind_, obj)
        return str(obj.id)
    key = parse_id(target_id)
    if key is None:
        raise not_found(target_type)
    if target_type == "clinic":
        found = await Clinic.exists(id=key)
    elif target_type == "doctor":
        found = await Doctor.exists(id=key)
    else:
        if key == member.id:
            raise invalid("target_id", "you cannot follow yourself")
        found = bool(await services.authors.views([key]))
    if not found:
        raise not_found(target_type)
    return str(key)


async def follow(services: ContentServices, member: Principal, target_type: str, target_id: str) -> None:
    """Follow once (idempotent); ``follower_count`` grows only when the follow is new."""
    key = await _resolve(services, member, target_type, target_id)
    if await Follow.exists(member_id=member.id, target_type=target_type, target_id=key):
        return  # followed already: nothing to write
    async with in_transaction() as conn:
        inserted = await conn.execute_query_dict(db.placeholders(
            "INSERT INTO content_follow (member_id, target_type, target_id, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING RETURNING id"), [member.id, target_type, key, now()])
        if inserted:
            await feed.backfill(member.id, target_type, key)
        if inserted and target_type in ON_ROW:
            await ON_ROW[target_type].filter(id=int(key)).update(follower_count=F("follower_count") + 1)
        elif inserted:
            # An upsert, so the first follower creates the counter and concurrent ones never lose a count.
            await conn.execute_query(db.placeholders(
                "INSERT INTO content_follower_count (target_type, target_id, followers) VALUES (?, ?, 1) "
                "ON CONFLICT (target_type, target_id) DO UPDATE "
                "SET followers = content_follower_count.followers + 1"), [target_type, key])


async def unfollow(member: Principal, target_type: str, target_id: str) -> None:
    """Stop following (idempotent). Works on what is no longer public too, so a list can be tidied."""
    key = target_id
    if target_type != "procedure":
        number = parse_id(target_id)
        if number is None:
            return
        key = str(number)
    elif not db.holds(Follow, "target_id", key):
        return  # longer than any procedure's slug: followed by nobody
    async with in_transaction():
        if await Follow.filter(member_id=member.id, target_type=target_type, target_id=key).delete():
            await _one_fewer(target_type, key)
            await feed.forget(member.id, target_type, key)


async def _one_fewer(target_type: str, key: str) -> None:
    """A follower less for the target (in the caller's transaction, with the follow's deletion)."""
    if target_type in ON_ROW:
        await ON_ROW[target_type].filter(id=int(key)).update(follower_count=F("follower_count") - 1)
    else:
        await FollowerCount.filter(target_type=target_type, target_id=key).update(followers=F("followers") - 1)


async def follower_counts(target_type: str, keys: Sequence[str]) -> dict[str, int]:
    """``follower_count`` of each of these objects (absent: none)."""
    if not keys:
        return {}
    rows = await fetch(FollowerCount.filter(target_type=target_type, target_id__in=list(keys))
                       .only("target_id", "followers"))
    return {str(r.target_id): int(r.followers) for r in rows}


async def marks(viewer: Principal | None, target_type: str, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{key: {follower_count, followed}}`` for a serializer: two small queries for a whole page."""
    counts = await follower_counts(target_type, keys)
    mine = (await reader_marks(viewer, target_type, keys)).followed
    return {k: {"follower_count": counts.get(k, 0), "followed": k in mine} for k in keys}


async def _titles(services: ContentServices, target_type: str, keys: list[str]) -> dict[str, str]:
    """The public name of each followed object that is still there and public (others absent)."""
    if not keys:
        return {}
    if target_type == "procedure":
        return {str(p.slug): str(p.name) for p in await fetch(Procedure.filter(slug__in=keys).only("slug", "name"))}
    numbers = [n for n in (parse_id(k) for k in keys) if n is not None]
    if target_type == "account":
        return {str(i): v.handle for i, v in (await services.authors.views(numbers)).items()}
    if target_type == "clinic":
        return {str(c.id): str(c.name) for c in await fetch(Clinic.filter(id__in=numbers).only("id", "name"))}
    if target_type == "doctor":
        return {str(d.id): str(d.name) for d in await fetch(Doctor.filter(id__in=numbers).only("id", "name"))}
    model = KINDS[target_type].model
    rows = await fetch(model.filter(id__in=numbers, status="published").only("id", "title"))
    return {str(r.id): str(r.title) for r in rows}


async def my_follows(services: ContentServices, member: Principal, query: FollowQuery) -> tuple[list[dict[str, Any]],
                     Any]:
    """What the member follows, newest follow first; what left the public shows as unavailable."""
    qs = Follow.filter(member_id=member.id)
    if query.target_type is not None:
        qs = qs.filter(target_type=query.target_type)
    rows, after = await keyset(qs, query)
    by_type: dict[str, list[str]] = {}
    for r in rows:
        by_type.setdefault(str(r.target_type), []).append(str(r.target_id))
    titles = {t: await _titles(services, t, keys) for t, keys in by_type.items()}
    items = []
    for r in rows:
        name = titles[r.target_type].get(str(r.target_id))
        item: dict[str, Any] = {"target_type": r.target_type, "target_id": str(r.target_id),
                                "created_at": r.created_at, "available": name is not None}
        if name is not None:
            item["title"] = name
        items.append(item)
    return items, after


async def _export(member_id: int) -> list[dict[str, Any]]:
    return [{"target_type": x.target_type, "target_id": x.target_id, "created_at": x.created_at}
            for x in await Follow.filter(member_id=member_id).order_by("id")]


async def _erase(services: ContentServices, member_id: int, mode: str) -> None:
    # Follows are personal data: they go with the account, and the counts follow. Nobody follows an
    # account that is gone.
    for row in await Follow.filter(member_id=member_id):
        async with in_transaction():
            if await Follow.filter(id=row.id).delete():
                await _one_fewer(str(row.target_type), str(row.target_id))
    await feed.forget_member(member_id)
    await Follow.filter(target_type="account", target_id=str(member_id)).delete()
    await FollowerCount.filter(target_type="account", target_id=str(member_id)).delete()


lifecycle.EXPORTERS["follows"] = _export
lifecycle.ERASERS.append(_erase)
