"""The feed (动态): what is new in what a member follows, newest first, merged when it is read.

Sources: new entries of followed diaries; new non-anonymous diaries, reviews, questions and answers
of followed accounts; new diaries, reviews and questions on followed procedures, clinics and
doctors; new answers to followed questions.

Read-time merge: each of the five post tables is asked once per page for its newest matching
*published* rows after the cursor (one query with the followed sources OR-ed together, at most
``limit + 1`` rows), and the pages are merged here. Nothing is copied per follower, so a post that
is hidden, removed or deleted leaves every feed with the status change itself, and a follow or
unfollow changes the next page at once. ``bench/feed.py`` measures it; ``content/README.md`` says
why fan-out on write was not chosen.

Anonymity: the account branch only ever matches non-anonymous posts, so an anonymous post never
reaches a follower of its author's account, and ``because`` names the followed diary, question,
procedure, clinic or doctor that matched, never the author of an anonymous post.

Order and cursor: ``(created_at, rank of the type, id)`` descending; the cursor holds those three
values of the last item, nothing else, so it is stable under inserts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import reduce
from operator import or_
from typing import Any

from tortoise.expressions import Q
from tortoise.models import Model

from content.models.diaries import Diary, DiaryEntry
from content.models.questions import Answer, Question
from content.models.reviews import Review
from content.services.follows import sources
from content.visibility import PUBLIC
from kernel.rows import fetch
from kernel.web.auth import Principal
from kernel.web.pagination import PageQuery, Scalar, decode_cursor
from kernel.web.problems import invalid

PREVIEW_CHARS = 120
# Ties on created_at are broken by the type's rank, then the id: a total order across tables.
RANKS = {"diary": 0, "diary_entry": 1, "review": 2, "question": 3, "answer": 4}

Followed = dict[str, list[str]]


def _ints(keys: list[str]) -> list[int]:
    return [int(k) for k in keys if k.isdigit()]


def _by_account(followed: Followed) -> Q | None:
    accounts = _ints(followed["account"])
    return Q(author_id__in=accounts, anonymous=False) if accounts else None


def _any(*branches: Q | None) -> Q | None:
    present = [b for b in branches if b is not None]
    return reduce(or_, present) if present else None


def _after(rank: int, cursor: list[Any] | None) -> Q | None:
    """The rows of a table of ``rank`` that come after the cursor in (created_at, rank, id) order."""
    if cursor is None:
        return None
    moment, cursor_rank, last_id = cursor
    if rank < cursor_rank:
        return Q(created_at__lte=moment)
    if rank > cursor_rank:
        return Q(created_at__lt=moment)
    return Q(created_at__lt=moment) | Q(created_at=moment, id__lt=last_id)


def _cursor(query: PageQuery) -> list[Any] | None:
    values = decode_cursor(query.cursor, (str, int, int))
    if values is None:
        return None
    try:
        moment = datetime.fromisoformat(values[0])
    except ValueError:
        raise invalid("cursor", "not a cursor this service gave out") from None
    if moment.tzinfo is None or values[1] not in RANKS.values():
        raise invalid("cursor", "not a cursor this service gave out")
    return [moment, values[1], values[2]]


async def _newest(model: type[Model], rank: int, where: Q | None, cursor: list[Any] | None, limit: int,
                  fields: tuple[str, ...], **filters: Any) -> list[Any]:
    if where is None:
        return []
    qs = model.filter(where, status=PUBLIC, **filters)
    after = _after(rank, cursor)
    if after is not None:
        qs = qs.filter(after)
    return list(await fetch(qs.order_by("-created_at", "-id").limit(limit + 1).only("id", "created_at", *fields)))


def _text(value: Any) -> str:
    return str(value or "")[:PREVIEW_CHARS]


def _first(*candidates: tuple[bool, str, Any]) -> dict[str, str]:
    """``because``: the first source that matched, in the order the callers give (the most specific first:
    a followed account for its named posts, then the diary or question, the clinic or doctor, the
    procedure)."""
    for matched, type_, key in candidates:
        if matched:
            return {"type": type_, "id": str(key)}
    raise AssertionError("a feed row matched no followed source")  # the queries select only matches


async def feed(member: Principal, query: PageQuery) -> tuple[list[dict[str, Any]], list[Scalar] | None]:
    """One page of the member's feed and the values of the next cursor (None at the end)."""
    cursor = _cursor(query)
    followed = await sources(member.id)
    accounts = set(_ints(followed["account"]))
    procedures, clinics, doctors = (set(followed["procedure"]), set(_ints(followed["clinic"])),
                                    set(_ints(followed["doctor"])))
    # Only public diaries and questions bring their entries and answers: a hidden diary's entries
    # are hidden with it.
    diaries = {d.id: d.title for d in await fetch(
        Diary.filter(id__in=_ints(followed["diary"]), status=PUBLIC).only("id", "title"))} if followed["diary"] else {}
    questions = {q.id for q in await fetch(Question.filter(id__in=_ints(followed["question"]), status=PUBLIC)
                                           .only("id"))} if followed["question"] else set()
    by_account = _by_account(followed)
    limit = query.limit

    def on(column: str, values: set[Any]) -> Q | None:
        filters: dict[str, Any] = {f"{column}__in": sorted(values)}
        return Q(**filters) if values else None

    items: list[tuple[tuple[datetime, int, int], dict[str, Any]]] = []

    def add(type_: str, row: Any, title: str, preview: str, because: dict[str, str], **extra: Any) -> None:
        item = {"type": type_, "id": str(row.id), "created_at": row.created_at, "title": title,
                "preview": preview, "because": because, **extra}
        items.append(((row.created_at, RANKS[type_], row.id), item))

    mine: Callable[[Any], bool] = lambda row: row.author_id in accounts and not row.anonymous  # noqa: E731

    for row in await _newest(DiaryEntry, RANKS["diary_entry"], on("diary_id", set(diaries)), cursor, limit,
                             ("diary_id", "text")):
        add("diary_entry", row, diaries.get(row.diary_id, ""), _text(row.text),
            {"type": "diary", "id": str(row.diary_id)}, diary_id=str(row.diary_id))

    for row in await _newest(Diary, RANKS["diary"], _any(by_account, on("procedure", procedures),
                                                         on("clinic_id", clinics), on("doctor_id", doctors)),
                             cursor, limit, ("title", "author_id", "anonymous", "procedure", "clinic_id",
                                             "doctor_id")):
        add("diary", row, row.title, _text(row.title), _first(
            (mine(row), "account", row.author_id), (row.clinic_id in clinics, "clinic", row.clinic_id),
            (row.doctor_id in doctors, "doctor", row.doctor_id),
            (row.procedure in procedures, "procedure", row.procedure)))

    reviewed = _any(by_account, Q(target_type="clinic", target_id__in=sorted(clinics)) if clinics else None,
                    Q(target_type="doctor", target_id__in=sorted(doctors)) if doctors else None,
                    on("procedure", procedures))
    for row in await _newest(Review, RANKS["review"], reviewed, cursor, limit,
                             ("rating", "text", "author_id", "anonymous", "target_type", "target_id", "procedure")):
        on_clinic = row.target_type == "clinic" and row.target_id in clinics
        on_doctor = row.target_type == "doctor" and row.target_id in doctors
        add("review", row, f"{row.rating}★", _text(row.text), _first(
            (mine(row), "account", row.author_id), (on_clinic, "clinic", row.target_id),
            (on_doctor, "doctor", row.target_id), (row.procedure in procedures, "procedure", row.procedure)))

    for row in await _newest(Question, RANKS["question"], _any(by_account, on("procedure", procedures)), cursor,
                             limit, ("title", "text", "author_id", "anonymous", "procedure")):
        add("question", row, row.title, _text(row.text), _first(
            (mine(row), "account", row.author_id), (row.procedure in procedures, "procedure", row.procedure)))

    # An answer is public only under a public question: its question is looked up by key for each
    # answer read (a join the SQL of which is kept per shape, where a subquery was compiled each time).
    answers = await _newest(Answer, RANKS["answer"], _any(on("question_id", questions), by_account), cursor,
                            limit, ("question_id", "text", "author_id", "anonymous"), question__status=PUBLIC)
    if answers:
        titles = {q.id: q.title for q in await fetch(
            Question.filter(id__in=sorted({a.question_id for a in answers})).only("id", "title"))}
        for row in answers:
            add("answer", row, str(titles.get(row.question_id, "")), _text(row.text), _first(
                (mine(row), "account", row.author_id), (row.question_id in questions, "question", row.question_id)),
                question_id=str(row.question_id))

    items.sort(key=lambda pair: pair[0], reverse=True)
    if len(items) <= limit:
        return [item for _, item in items], None
    page = items[:limit]
    moment, rank, last_id = page[-1][0]
    return [item for _, item in page], [moment.isoformat(), rank, last_id]
