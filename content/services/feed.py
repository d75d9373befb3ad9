"""The feed (动态): what is new in what a member follows, newest first, written when it is published.

Sources: new entries of followed diaries; new non-anonymous diaries, reviews, questions and answers
of followed accounts; new diaries, reviews and questions on followed procedures, clinics and
doctors; new answers to followed questions.

Fan-out on write: when a post is created, one row per (follower, source it reached them through)
is written into ``content_feed_item`` in the post's own transaction, by one ``INSERT … SELECT``
over the followers of its sources (``fan_out``). A new follow brings the source's newest
``BACKFILL`` published posts (``backfill``); an unfollow deletes that source's rows (``forget``).
A page is one index range over the member's rows; the posts' titles and *current* status are then
read by key, every type in one statement, so a post that is hidden, removed or deleted (or whose
diary or question is) leaves every feed with the status change itself, and comes back with a
restore. ``bench/feed.py`` measured both ways on 170,000 posts and 200 followed sources;
``content/README.md`` says why this one.

Anonymity: an account's rows are written only for its non-anonymous posts, and a read shows a post
brought by an account only if it is still named; ``because`` names the followed diary, question,
procedure, clinic or doctor that matched, never the author of an anonymous post.

Order and cursor: ``(created_at, rank of the type, id)`` descending; the cursor holds those three
values of the last item, nothing else, so it is stable under inserts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from content.models.follows import FeedItem
from content.visibility import PUBLIC
from kernel import db
from kernel.rows import fetch
from kernel.web.auth import Principal
from kernel.web.pagination import PageQuery, Scalar, decode_cursor, forged_cursor

PREVIEW_CHARS = 120
# Ties on created_at are broken by the type's rank, then the id: a total order across tables.
RANKS = {"diary": 0, "diary_entry": 1, "review": 2, "question": 3, "answer": 4}
TYPES = {rank: type_ for type_, rank in RANKS.items()}
TABLES = {"diary": "content_diary", "diary_entry": "content_diary_entry", "review": "content_review",
          "question": "content_question", "answer": "content_answer"}
# When several followed sources bring a post, ``because`` names the most specific: the account
# (named posts only), then the diary or question, the clinic or doctor, the procedure.
PRIORITY = {"account": 0, "diary": 1, "question": 1, "clinic": 2, "doctor": 2, "procedure": 3}
BACKFILL = 100  # a new follow brings this many of the source's newest posts of each type
# Feed rows read at a time: a page and a quarter, since a post has a row per source that brought
# it and some are no longer public (another batch is read when they leave the page short).
SLACK = 1.25

_COLUMNS = "content_feed_item (member_id, created_at, rank, post_id, because_type, because_id)"
# What a new follow brings: (post type, condition on the post table with one value, the source's key).
_BACKFILLS: dict[str, list[tuple[str, str]]] = {
    "account": [("diary", "author_id = ? AND anonymous = FALSE"), ("review", "author_id = ? AND anonymous = FALSE"),
                ("question", "author_id = ? AND anonymous = FALSE"), ("answer", "author_id = ? AND anonymous = FALSE")],
    "diary": [("diary_entry", "diary_id = ?")],
    "question": [("answer", "question_id = ?")],
    "procedure": [("diary", "procedure = ?"), ("review", "procedure = ?"), ("question", "procedure = ?")],
    "clinic": [("diary", "clinic_id = ?"), ("review", "target_type = 'clinic' AND target_id = ?")],
    "doctor": [("diary", "doctor_id = ?"), ("review", "target_type = 'doctor' AND target_id = ?")],
}

Source = tuple[str, str]


# --- writing ---------------------------------------------------------------------------------

def sources_of(type_: str, post: Any) -> list[Source]:
    """The followable sources a new post reaches followers through."""
    found: list[Source] = []
    if not post.anonymous and type_ != "diary_entry":
        found.append(("account", str(post.author_id)))
    if type_ == "diary_entry":
        found.append(("diary", str(post.diary_id)))
    elif type_ == "answer":
        found.append(("question", str(post.question_id)))
    elif type_ == "review":
        found.append((str(post.target_type), str(post.target_id)))
    elif type_ == "diary":
        found += [(kind, str(key)) for kind, key in (("clinic", post.clinic_id), ("doctor", post.doctor_id)) if key]
    if type_ in ("diary", "review", "question") and post.procedure:
        found.append(("procedure", str(post.procedure)))
    return found


async def fan_out(type_: str, post: Any) -> None:
    """Write a new post into the feed of every member following one of its sources (call it in the
    post's transaction: one statement, however many followers)."""
    sources = sources_of(type_, post)
    if not sources:
        return
    pairs = " OR ".join("(f.target_type = ? AND f.target_id = ?)" for _ in sources)
    sql = (f"INSERT INTO {_COLUMNS} SELECT f.member_id, p.created_at, {RANKS[type_]}, p.id, "  # noqa: S608 - names are constants, values are parameters
           f"f.target_type, f.target_id FROM content_follow f JOIN {TABLES[type_]} p ON p.id = ? "
           f"WHERE {pairs} ON CONFLICT DO NOTHING")
    values: list[Any] = [post.id]
    for kind, key in sources:
        values += [kind, key]
    await db.connection().execute_query(db.placeholders(sql), values)


async def backfill(member_id: int, target_type: str, key: str) -> None:
    """A new follow: the source's newest published posts join the member's feed."""
    value: Any = key if target_type == "procedure" else int(key)
    for type_, condition in _BACKFILLS.get(target_type, []):
        sql = (f"INSERT INTO {_COLUMNS} SELECT CAST(? AS INTEGER), created_at, {RANKS[type_]}, id, "  # noqa: S608 - names are constants, values are parameters
               f"CAST(? AS VARCHAR(16)), CAST(? AS VARCHAR(80)) FROM ("
               f"SELECT created_at, id FROM {TABLES[type_]} WHERE {condition} AND status = '{PUBLIC}' "
               f"ORDER BY created_at DESC LIMIT {BACKFILL}) AS p WHERE TRUE ON CONFLICT DO NOTHING")
        await db.connection().execute_query(db.placeholders(sql), [member_id, target_type, key, value])


async def forget(member_id: int, target_type: str, key: str) -> None:
    """An unfollow: what that source brought leaves the member's feed (posts another followed
    source brought stay)."""
    await FeedItem.filter(member_id=member_id, because_type=target_type, because_id=key).delete()


async def forget_member(member_id: int) -> None:
    """An erased account: its feed goes with it."""
    await FeedItem.filter(member_id=member_id).delete()


# --- reading ---------------------------------------------------------------------------------

def _text(value: Any) -> str:
    return str(value or "")[:PREVIEW_CHARS]


def _cursor(query: PageQuery) -> list[Any] | None:
    values = decode_cursor(query.cursor, (str, int, int))
    if values is None:
        return None
    try:
        moment = datetime.fromisoformat(values[0])
    except ValueError:
        raise forged_cursor() from None
    if moment.tzinfo is None or values[1] not in RANKS.values():
        raise forged_cursor()
    return [moment, values[1], values[2]]


def _after(cursor: list[Any] | None) -> Q:
    """The feed rows after the cursor in (created_at, rank, post id) order."""
    if cursor is None:
        return Q()
    moment, rank, post_id = cursor
    return (Q(created_at__lt=moment) | Q(created_at=moment, rank__lt=rank)
            | Q(created_at=moment, rank=rank, post_id__lt=post_id))


# What a feed item shows of each type of post, under the same columns so that one statement reads
# every post a batch of rows names: (rank, id, anonymous, title, text, parent id, rating). A post
# is read only while it is public, an entry only under a public diary (whose title it shows) and
# an answer only under a public question (the same). The NULLs are typed for PostgreSQL's UNION.
_POSTS = {
    "diary": "SELECT {rank} AS rank, p.id, p.anonymous, p.title, p.title AS text, "
             "CAST(NULL AS INTEGER) AS parent_id, CAST(NULL AS INTEGER) AS rating FROM content_diary p "
             "WHERE p.status = ? AND p.id IN ({ids})",
    "diary_entry": "SELECT {rank}, p.id, p.anonymous, d.title, p.text, p.diary_id, CAST(NULL AS INTEGER) "
                   "FROM content_diary_entry p JOIN content_diary d ON d.id = p.diary_id "
                   "WHERE p.status = ? AND d.status = ? AND p.id IN ({ids})",
    "review": "SELECT {rank}, p.id, p.anonymous, CAST(NULL AS TEXT), p.text, CAST(NULL AS INTEGER), p.rating "
              "FROM content_review p WHERE p.status = ? AND p.id IN ({ids})",
    "question": "SELECT {rank}, p.id, p.anonymous, p.title, p.text, CAST(NULL AS INTEGER), CAST(NULL AS INTEGER) "
                "FROM content_question p WHERE p.status = ? AND p.id IN ({ids})",
    "answer": "SELECT {rank}, p.id, p.anonymous, q.title, p.text, p.question_id, CAST(NULL AS INTEGER) "
              "FROM content_answer p JOIN content_question q ON q.id = p.question_id "
              "WHERE p.status = ? AND q.status = ? AND p.id IN ({ids})",
}


async def _posts(ids: dict[int, list[int]]) -> dict[tuple[int, int], tuple[Any, ...]]:
    """The public posts among ``ids`` (by rank), keyed by (rank, id): one statement for all types."""
    parts: list[str] = []
    params: list[Any] = []
    for type_, sql in _POSTS.items():
        keys = sorted(ids.get(RANKS[type_], []))
        if keys:
            parts.append(sql.format(rank=RANKS[type_], ids=", ".join("?" * len(keys))))
            params += [PUBLIC] * sql.count("status = ?") + keys
    if not parts:
        return {}
    _, rows = await db.connection().execute_query(db.placeholders(" UNION ALL ".join(parts)), params)
    return {(row[0], row[1]): tuple(row) for row in rows}


async def _items(rows: list[Any]) -> list[tuple[tuple[datetime, int, int], dict[str, Any]]]:
    """Feed items of the posts these rows bring that are public now, in the rows' order."""
    brought: dict[tuple[int, int], list[Any]] = {}
    for row in rows:
        brought.setdefault((row.rank, row.post_id), []).append(row)
    ids: dict[int, list[int]] = {}
    for rank, post_id in brought:
        ids.setdefault(rank, []).append(post_id)
    posts = await _posts(ids)
    items = []
    for (rank, post_id), reasons in brought.items():
        post = posts.get((rank, post_id))
        if post is None:
            continue
        _, _, anonymous, title, text, parent_id, rating = post
        # Defence in depth: an account never brings a post that is anonymous now.
        reasons = [r for r in reasons if not (r.because_type == "account" and anonymous)]
        if not reasons:
            continue
        because = min(reasons, key=lambda r: PRIORITY.get(r.because_type, 9))
        type_ = TYPES[rank]
        item: dict[str, Any] = {"type": type_, "id": str(post_id), "created_at": reasons[0].created_at,
                                "because": {"type": because.because_type, "id": because.because_id},
                                "title": f"{rating}★" if type_ == "review" else str(title or ""),
                                "preview": _text(text)}
        if type_ == "diary_entry":
            item["diary_id"] = str(parent_id)
        elif type_ == "answer":
            item["question_id"] = str(parent_id)
        items.append(((reasons[0].created_at, rank, post_id), item))
    return items


async def feed(member: Principal, query: PageQuery) -> tuple[list[dict[str, Any]], list[Scalar] | None]:
    """One page of the member's feed and the values of the next cursor (None at the end)."""
    cursor = _cursor(query)
    limit = query.limit
    items: list[tuple[tuple[datetime, int, int], dict[str, Any]]] = []
    batch = int((limit + 1) * SLACK) + 2
    while len(items) <= limit:
        rows = list(await fetch(FeedItem.filter(_after(cursor), member_id=member.id)
                                .order_by("-created_at", "-rank", "-post_id").limit(batch)
                                .only("created_at", "rank", "post_id", "because_type", "because_id")))
        if not rows:
            break
        full = len(rows) == batch
        if full:
            # The last post's other rows (other sources) may be in the next batch: read it whole then.
            last = (rows[-1].rank, rows[-1].post_id)
            rows = [r for r in rows if (r.rank, r.post_id) != last] or rows
        items += await _items(rows)
        cursor = [rows[-1].created_at, rows[-1].rank, rows[-1].post_id]
        if not full:
            break
    if len(items) <= limit:
        return [item for _, item in items], None
    page = items[:limit]
    moment, rank, last_id = page[-1][0]
    return [item for _, item in page], [moment.isoformat(), rank, last_id]
