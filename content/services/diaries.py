"""Diaries (日记本) and their entries.

A diary holds before photos (holder ``diary:<id>``); each entry holds its own photos
(``diary_entry:<id>``). The diary shows ``after``: the photos of its latest published entry that has
photos, stored on the diary (``after_media_ids``, ``after_day``) and recomputed when entries come
and go. ``popularity`` = freshness (5 points a day of creation time) + likes + 2 × comments + 3 × entries,
moved only by atomic increments. Entries take their diary's author and anonymity.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from content._listing import keyset
from content._media import attach_media, media_problem, photo_views
from content.interfaces import ContentServices
from content.models.diaries import Diary, DiaryEntry
from content.models.reference import Clinic, Doctor
from content.sanitizer import plain, sanitize
from content.schemas.diaries import DiaryIn, DiaryPatch, DiaryQuery, EntryIn, EntryPatch
from content.services import feed, lifecycle
from content.services.marks import marks
from content.services.reference import require_procedure, require_ref
from content.visibility import (
    Kind,
    author_fields,
    authors_for,
    get_visible,
    listed,
    own_or_raise,
    parse_id,
    post_etag,
    register,
    show_visible,
    visible_or_raise,
)
from kernel.clock import now, today_in_china
from kernel.rows import fetch
from kernel.web.auth import Principal
from kernel.web.problems import Problem, invalid
from media.interfaces import Attachments, MediaError, MediaView
from search.interfaces import Document
from search.outbox import enqueue

Precondition = Callable[[str], None]

POINTS_PER_DAY = 5.0
DOCUMENT_CHARS = 20_000
ENTRY_POINTS = 3.0


def freshness(moment: Any) -> float:
    return float(moment.timestamp()) * POINTS_PER_DAY / 86400.0


def _photos(ids: Sequence[str], views: dict[str, MediaView]) -> list[dict[str, object]]:
    return [views[i].as_json() for i in ids if i in views]


# --- serializing -------------------------------------------------------------------------------

async def diaries_json(services: ContentServices, diaries: Sequence[Diary],
                       principal: Principal | None) -> list[dict[str, Any]]:
    """Diaries as the caller may see them: one author lookup for all, and at most two media lookups
    (photos shown published, and photos their author or a moderator sees in any status)."""
    authors = await authors_for(services, diaries, principal)
    mine = await marks(principal, "diary", [str(d.id) for d in diaries])
    views = await photo_views(services, [(d.author_id, [*d.before_media_ids, *d.after_media_ids,
                                                     *([d.cover_media_id] if d.cover_media_id else [])])
                                      for d in diaries], principal)
    out = []
    for d in diaries:
        cover = views.get(d.cover_media_id) if d.cover_media_id else None
        out.append({
            "id": str(d.id), "title": d.title, "procedure": d.procedure, "operated_on": d.operated_on,
            "clinic_id": str(d.clinic_id) if d.clinic_id else None,
            "doctor_id": str(d.doctor_id) if d.doctor_id else None, "price_cny": d.price_cny,
            **author_fields(d, principal, authors), "status": d.status,
            "before": _photos(d.before_media_ids, views), "after": _photos(d.after_media_ids, views),
            "after_day": d.after_day if d.after_media_ids else None,
            "cover": cover.as_json() if cover else None, "entry_count": d.entry_count,
            "like_count": d.like_count, "comment_count": d.comment_count, "follower_count": d.follower_count,
            **mine.of(str(d.id)),
            "version": d.version,
            "created_at": d.created_at, "updated_at": d.updated_at,
        })
    return out


async def entries_json(services: ContentServices, entries: Sequence[DiaryEntry],
                       principal: Principal | None) -> list[dict[str, Any]]:
    authors = await authors_for(services, entries, principal)
    liked = (await marks(principal, "diary_entry", [str(e.id) for e in entries])).liked
    views = await photo_views(services, [(e.author_id, e.media_ids) for e in entries], principal)
    return [{
        "id": str(e.id), "diary_id": str(e.diary_id), "body": e.body, "text": e.text,
        "happened_on": e.happened_on, "day": e.day, "media": _photos(e.media_ids, views), "scores": e.scores,
        **author_fields(e, principal, authors), "status": e.status, "like_count": e.like_count,
        "liked": str(e.id) in liked, "comment_count": e.comment_count, "version": e.version, "created_at": e.created_at,
    } for e in entries]


# --- diaries -----------------------------------------------------------------------------------

async def get_diary(diary_id: object, principal: Principal | None) -> Diary:
    """A diary the caller may see (404 / 451 otherwise)."""
    return await get_visible(Diary, diary_id, principal, "diary")


async def show_diary(diary_id: object, principal: Principal | None) -> Any:
    """A diary the caller may see, read as a plain row for the detail view (404 / 451 otherwise)."""
    return await show_visible(Diary, diary_id, principal, "diary")


async def _check_refs(data: DiaryIn | DiaryPatch) -> dict[str, Any]:
    refs: dict[str, Any] = {}
    if "clinic_id" in data.model_fields_set:
        refs["clinic_id"] = await require_ref(Clinic, data.clinic_id, "clinic_id")
    if "doctor_id" in data.model_fields_set:
        refs["doctor_id"] = await require_ref(Doctor, data.doctor_id, "doctor_id")
    return refs


async def _attach_diary_media(services: ContentServices, diary: Diary, before: list[str], cover: str | None, owner: int,
                              *, replace: bool) -> None:
    media: Attachments = services.media
    holder = f"diary:{diary.id}"
    ids = list(dict.fromkeys([*before, *([cover] if cover else [])]))
    try:
        if replace:
            await media.replace(holder, ids, owner_id=owner)
        else:
            await media.attach(holder, ids, owner_id=owner)
    except MediaError as exc:
        if exc.media_id == cover and exc.media_id not in before:
            raise invalid("cover_media_id", exc.message) from None
        raise media_problem(exc, "before_media_ids", before) from None


async def create_diary(services: ContentServices, member: Principal, data: DiaryIn) -> Diary:
    """A new diary; its photos are attached in the same transaction."""
    await require_procedure(data.procedure)
    refs = await _check_refs(data)
    title = plain(data.title)
    if not title:
        raise invalid("title", "must not be empty")
    moment = now()
    async with services.media.publishing_after(), in_transaction():
        diary = await Diary.create(
            author_id=member.id, anonymous=data.anonymous, title=title, procedure=data.procedure,
            operated_on=data.operated_on, price_cny=data.price_cny, before_media_ids=list(data.before_media_ids),
            cover_media_id=data.cover_media_id, popularity=freshness(moment), created_at=moment,
            updated_at=moment, **refs)
        if data.before_media_ids or data.cover_media_id:
            await _attach_diary_media(services, diary, list(data.before_media_ids), data.cover_media_id, member.id,
                                      replace=False)
        await enqueue([("diary", str(diary.id))])
        await feed.fan_out("diary", diary)
    await lifecycle.published(services, "diary", diary, title)
    return diary


async def update_diary(services: ContentServices, member: Principal, diary_id: object, data: DiaryPatch,
                       check: Precondition) -> Diary:
    """The author edits a diary (``check`` raises 412 when If-Match names another version)."""
    diary = own_or_raise(await get_diary(diary_id, member), member, "diary")
    check(post_etag("diary", diary))
    changes: dict[str, Any] = await _check_refs(data)
    if data.title is not None:
        changes["title"] = plain(data.title) or diary.title
    if data.procedure is not None:
        await require_procedure(data.procedure)
        changes["procedure"] = data.procedure
    if data.operated_on is not None:
        changes["operated_on"] = data.operated_on
    if "price_cny" in data.model_fields_set:
        changes["price_cny"] = data.price_cny
    media_changed = data.before_media_ids is not None or "cover_media_id" in data.model_fields_set
    if data.before_media_ids is not None:
        changes["before_media_ids"] = list(data.before_media_ids)
    if "cover_media_id" in data.model_fields_set:
        changes["cover_media_id"] = data.cover_media_id
    if not changes:
        return diary
    async with services.media.publishing_after(), in_transaction():
        updated = await Diary.filter(id=diary.id, version=diary.version).update(
            version=F("version") + 1, updated_at=now(), **changes)
        if not updated:
            raise Problem(412, "The diary changed since you read it; fetch it again.")
        if media_changed:
            before = changes.get("before_media_ids", diary.before_media_ids)
            cover = changes.get("cover_media_id", diary.cover_media_id)
            await _attach_diary_media(services, diary, before, cover, member.id, replace=True)
        if "operated_on" in changes:
            for entry in await DiaryEntry.filter(diary_id=diary.id).only("id", "happened_on"):
                day = (entry.happened_on - changes["operated_on"]).days
                await DiaryEntry.filter(id=entry.id).update(day=day)
            await _refresh_after(diary.id)
        await enqueue([("diary", str(diary.id))])
    await diary.refresh_from_db()
    await lifecycle.published(services, "diary", diary, diary.title)
    return diary


async def delete_diary(services: ContentServices, member: Principal, diary_id: object) -> None:
    diary = own_or_raise(await get_diary(diary_id, member), member, "diary")
    await lifecycle.delete_by_author(services, "diary", diary)


async def list_diaries(q: DiaryQuery, principal: Principal | None) -> tuple[list[Diary], list[Any] | None]:
    qs = listed(Diary.all(), principal, q.author_id)
    if q.procedure is not None:
        qs = qs.filter(procedure=q.procedure)
    if q.clinic_id is not None:
        qs = qs.filter(clinic_id=parse_id(q.clinic_id) or -1)
    if q.doctor_id is not None:
        qs = qs.filter(doctor_id=parse_id(q.doctor_id) or -1)
    if q.sort == "popular":
        return await keyset(qs, q, key="popularity", kind=float)
    return await keyset(qs, q)


# --- entries -----------------------------------------------------------------------------------

async def _refresh_after(diary_id: int) -> None:
    """Store the photos of the latest published entry that has photos as the diary's ``after``."""
    latest = await DiaryEntry.filter(diary_id=diary_id, status="published", has_photos=True).order_by(
        "-day", "-id").only("media_ids", "day").first()
    await Diary.filter(id=diary_id).update(after_media_ids=latest.media_ids if latest else [],
                                           after_day=latest.day if latest else None)


def _day(diary: Diary, happened_on: date) -> int:
    return (happened_on - diary.operated_on).days




def _not_in_future(happened_on: date) -> date:
    """A diary records what happened: 422 ``happened_on`` for a day after today in China."""
    today = today_in_china()
    if happened_on > today:
        raise invalid("happened_on", f"must not be after today ({today.isoformat()}, China time)")
    return happened_on


async def create_entry(services: ContentServices, member: Principal, diary_id: object, data: EntryIn) -> DiaryEntry:
    """Only the diary's author adds entries; ``day`` is counted from the operation (术后第N天)."""
    # Read only (a plain row): the diary changes through atomic updates below, never by saving it.
    diary = own_or_raise(await show_diary(diary_id, member), member, "diary")
    visible_or_raise(diary, None, "diary")  # a hidden or removed diary takes no new entries
    _not_in_future(data.happened_on)
    rich = await sanitize(data.body, "body")
    if not rich.text and not data.media_ids:
        raise invalid("body", "must not be empty")
    moment = now()
    media_ids = list(dict.fromkeys(data.media_ids))
    async with services.media.publishing_after(), in_transaction():
        entry = await DiaryEntry.create(
            diary_id=diary.id, author_id=diary.author_id, anonymous=diary.anonymous, body=rich.html,
            text=rich.text, happened_on=data.happened_on, day=_day(diary, data.happened_on), media_ids=media_ids,
            has_photos=bool(media_ids), scores=data.scores.model_dump() if data.scores else None,
            created_at=moment, updated_at=moment)
        await attach_media(services, f"diary_entry:{entry.id}", media_ids, member.id, replace=False)
        if media_ids and diary.status != "published":
            # The entry is readable only through its diary; its photos follow the diary's status.
            await services.media.set_visible(f"diary_entry:{entry.id}", False)
        await Diary.filter(id=diary.id).update(entry_count=F("entry_count") + 1, updated_at=moment,
                                               popularity=F("popularity") + ENTRY_POINTS)
        if media_ids:
            await _refresh_after(diary.id)
        await enqueue([("diary", str(diary.id))])
        await feed.fan_out("diary_entry", entry)
    await lifecycle.published(services, "diary_entry", entry, rich.text)
    return entry


async def list_entries(diary_id: object, q: Any, principal: Principal | None) -> tuple[list[DiaryEntry],
                                                                                     list[Any] | None]:
    """A diary's entries in day order (the author also sees their hidden ones)."""
    key = parse_id(diary_id)
    if key is not None:
        # The common case in one query: published entries of a published diary, all that anyone but
        # its author is shown. Entries carry their diary's author: when the reader wrote them, or the
        # page is empty, the full check follows (the author's hidden entries, 404, 451, no entries yet).
        public = DiaryEntry.filter(diary_id=key, status="published", diary__status="published")
        rows, after = await keyset(public, q, key="day", descending=False)
        if rows and (principal is None or rows[0].author_id != principal.id):
            return rows, after
    diary = await show_diary(diary_id, principal)  # read only: a plain row
    qs = DiaryEntry.filter(diary_id=diary.id)
    if principal is not None and principal.id == diary.author_id:
        qs = qs.filter(status__in=("published", "hidden", "removed"))
    else:
        qs = qs.filter(status="published")
    return await keyset(qs, q, key="day", descending=False)


async def _own_entry(member: Principal, entry_id: object) -> tuple[DiaryEntry, Diary]:
    key = parse_id(entry_id)
    entry = await DiaryEntry.get_or_none(id=key) if key is not None else None
    entry = visible_or_raise(entry, member, "diary entry")
    diary = await get_diary(entry.diary_id, member)
    own_or_raise(entry, member, "diary entry")
    return entry, diary


async def update_entry(services: ContentServices, member: Principal, entry_id: object, data: EntryPatch,
                       check: Precondition) -> DiaryEntry:
    entry, diary = await _own_entry(member, entry_id)
    # Edits publish (a new photo would be served): only under a diary the public may read. The
    # author may still delete an entry of their hidden or removed diary.
    visible_or_raise(diary, None, "diary")
    check(post_etag("diary_entry", entry))
    changes: dict[str, Any] = {}
    if data.body is not None:
        rich = await sanitize(data.body, "body")
        changes.update(body=rich.html, text=rich.text)
    if data.happened_on is not None:
        changes.update(happened_on=_not_in_future(data.happened_on), day=_day(diary, data.happened_on))
    if data.scores is not None:
        changes["scores"] = data.scores.model_dump()
    media_ids = list(dict.fromkeys(data.media_ids)) if data.media_ids is not None else None
    if media_ids is not None:
        changes.update(media_ids=media_ids, has_photos=bool(media_ids))
    if not changes.get("text", entry.text) and not changes.get("media_ids", entry.media_ids):
        # As when it was written: an entry says something or shows something.
        raise invalid("body" if "text" in changes else "media_ids", "an entry needs text or photos")
    if not changes:
        return entry
    async with services.media.publishing_after(), in_transaction():
        updated = await DiaryEntry.filter(id=entry.id, version=entry.version).update(
            version=F("version") + 1, updated_at=now(), **changes)
        if not updated:
            raise Problem(412, "The entry changed since you read it; fetch it again.")
        if media_ids is not None:
            await attach_media(services, f"diary_entry:{entry.id}", media_ids, member.id, replace=True)
        if media_ids is not None or "day" in changes:
            await _refresh_after(diary.id)
        await enqueue([("diary", str(diary.id))])
    await entry.refresh_from_db()
    await lifecycle.published(services, "diary_entry", entry, entry.text)
    return entry


async def delete_entry(services: ContentServices, member: Principal, entry_id: object) -> None:
    entry, _ = await _own_entry(member, entry_id)
    await lifecycle.delete_by_author(services, "diary_entry", entry)


# --- as a registered type ----------------------------------------------------------------------

async def _diary_holders(diary: Any) -> list[str]:
    # Called with the diary's new status: deleting releases every entry's photos; hiding and
    # restoring touch only published entries, so an entry hidden on its own stays hidden.
    qs = DiaryEntry.filter(diary_id=diary.id)
    qs = qs.exclude(status="deleted") if diary.status == "deleted" else qs.filter(status="published")
    entries = await qs.values_list("id", flat=True)
    return [f"diary:{diary.id}", *(f"diary_entry:{i}" for i in entries)]


def _diary_own_media(diary: Any) -> list[str]:
    return list(dict.fromkeys([*diary.before_media_ids, *([diary.cover_media_id] if diary.cover_media_id else [])]))


async def _diary_media(diary: Any) -> list[str]:
    """Every photo the diary shows: its own (before, cover) and its entries' (its after photos). What
    moderators see of it, and what a takedown of the diary fingerprints so it is not uploaded again."""
    entries = await DiaryEntry.filter(diary_id=diary.id).exclude(status="deleted").order_by("day", "id").values_list(
        "media_ids", flat=True)
    return list(dict.fromkeys([*_diary_own_media(diary), *(m for ids in entries for m in ids or [])]))


async def _entry_media(entry: Any) -> list[str]:
    return list(entry.media_ids)


async def _entry_holders(entry: Any) -> list[str]:
    # A restored entry of a diary that is not public stays unserved until its diary comes back.
    if entry.status == "published" and not await Diary.filter(id=entry.diary_id, status="published").exists():
        return []
    return [f"diary_entry:{entry.id}"]


async def _entry_docs(entry: Any) -> list[tuple[str, str]]:
    return [("diary", str(entry.diary_id))]


async def _entry_publicity(entry: Any, public: bool) -> None:
    # An entry counts in its diary's popularity while it is public, as a like or a comment does:
    # writing and deleting entries does not pump a diary up the popular list.
    sign = 1 if public else -1
    await Diary.filter(id=entry.diary_id).update(entry_count=F("entry_count") + sign,
                                                 popularity=F("popularity") + sign * ENTRY_POINTS)
    if entry.has_photos:
        await _refresh_after(entry.diary_id)


async def _entry_guard(entry: Any, principal: Principal | None) -> None:
    await show_visible(Diary, entry.diary_id, principal, "diary")


async def _entry_export(entry: Any) -> dict[str, Any]:
    return {"diary_id": str(entry.diary_id), "happened_on": entry.happened_on, "day": entry.day,
            "body": entry.body, "media_ids": entry.media_ids, "scores": entry.scores}


async def _diary_export(diary: Any) -> dict[str, Any]:
    return {"procedure": diary.procedure, "operated_on": diary.operated_on, "price_cny": diary.price_cny,
            "clinic_id": diary.clinic_id, "doctor_id": diary.doctor_id, "media_ids": _diary_own_media(diary)}


async def diary_documents(ids: Sequence[int]) -> dict[int, Document]:
    """Search documents of published diaries: title plus the text of their published entries."""
    diaries = await fetch(Diary.filter(id__in=list(ids), status="published"))  # plain rows: read only
    if not diaries:
        return {}
    texts: dict[int, list[str]] = {}
    sizes: dict[int, int] = {}
    rows = await DiaryEntry.filter(diary_id__in=[d.id for d in diaries], status="published").order_by(
        "day", "id").values_list("diary_id", "text")
    for diary_id, text in rows:
        # A document stays bounded (the indexer segments all of it on every change of the diary).
        if sizes.get(diary_id, 0) < DOCUMENT_CHARS:
            texts.setdefault(diary_id, []).append(text)
            sizes[diary_id] = sizes.get(diary_id, 0) + len(text)
    return {d.id: Document(type="diary", id=str(d.id), title=d.title, text="\n".join(texts.get(d.id, [])),
                           created_at=d.created_at, procedure=d.procedure,
                           clinic_id=str(d.clinic_id) if d.clinic_id else None,
                           popularity=float(d.like_count + 2 * d.comment_count + d.entry_count))
            for d in diaries}


register(Kind(type="diary", model=Diary, path="/v1/diaries/{id}", what="diary",
              title=lambda d: d.title, preview=lambda d: d.title, holders=_diary_holders, media_ids=_diary_media,
              count_as="diaries", export=_diary_export, popularity={"like_count": 1.0, "comment_count": 2.0},
              search_docs=diary_documents))
register(Kind(type="diary_entry", model=DiaryEntry, path="/v1/diary-entries/{id}", what="diary entry",
              title=lambda e: f"第{e.day}天", documents=_entry_docs, media_ids=_entry_media, holders=_entry_holders,
              on_publicity=_entry_publicity, guard=_entry_guard, export=_entry_export))
