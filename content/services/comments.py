"""Comments (评论) on diaries, diary entries, reviews and answers, with one level of replies.

- A reply names any published comment on the same target in ``reply_to``; a reply to a reply joins the
  top-level comment's thread (``thread_id``), so threads are never deeper than one level.
- Lists are in thread order (each top-level comment followed by its replies, oldest first).
- ``reply_to`` shows only the id of the comment replied to. No "is the original poster" flag is ever
  emitted, so an anonymous author answering in their own thread cannot be linked to their post.
- A comment notifies the target's author (kind ``comment``) and the author of the comment replied to,
  never naming an anonymous commenter and never notifying the commenter themself.
- Comments on content the caller may not see answer 404 (451 when removed); published targets only:
  a target (or a parent of it) that is hidden, removed or deleted answers as it answers the public.
  Parents count: the kinds' `guard` makes an answer visible only with its question and a comment only
  with its target.
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from content.interfaces import ContentServices
from content.models.comments import Comment
from content.sanitizer import sanitize, snippet
from content.schemas.comments import CommentIn, CommentQuery
from content.services import lifecycle
from content.services.marks import marks
from content.visibility import (
    Kind,
    author_fields,
    authors_for,
    bump,
    open_to_writes,
    own_or_raise,
    parse_id,
    register,
    target,
)
from kernel import db
from kernel.clock import now
from kernel.rows import fetch
from kernel.web.auth import Principal
from kernel.web.pagination import decode_cursor
from kernel.web.problems import Problem, invalid

# A new comment's thread, written once: a top-level comment heads its own, known only once inserted.
_THREAD = "UPDATE content_comment SET thread_id = ? WHERE id = ?"


async def visible_target(viewer: Principal | None, target_type: str, target_id: str, *,
                         read_only: bool = False) -> tuple[Kind, Any]:
    """A comment or like target the caller may see, its parents included (404, or 451 when removed)."""
    # ``target`` runs the kind's guard: an answer needs its question, an entry its diary, a comment
    # its own target.
    return await target(target_type, target_id, viewer, read_only=read_only)


async def _guard(comment: Comment, viewer: Principal | None) -> None:
    await target(comment.target_type, comment.target_id, viewer, read_only=True)


async def _on_publicity(comment: Comment, public: bool) -> None:
    # Keep the target's comment_count and the thread head's reply count exact.
    delta = 1 if public else -1
    try:
        await bump(comment.target_type, int(comment.target_id), comment_count=delta)
    except Problem:
        pass  # a target type that no longer exists
    if comment.thread_id is not None and comment.thread_id != comment.id:
        await bump("comment", comment.thread_id, comment_count=delta)  # the thread head's replies


async def _no_holders(obj: Any) -> list[str]:
    return []  # comments carry no media


async def _export(comment: Comment) -> dict[str, Any]:
    return {"target_type": comment.target_type, "target_id": comment.target_id, "body": comment.body,
            "reply_to": str(comment.reply_to_id) if comment.reply_to_id else None}


register(Kind(type="comment", model=Comment, path="/v1/comments/{id}", title=lambda c: snippet(c.text, 40),
              holders=_no_holders, on_publicity=_on_publicity, guard=_guard, count_as="comments", export=_export))


async def create_comment(services: ContentServices, member: Principal, data: CommentIn) -> Comment:
    """Comment on a published post, or reply in a thread; notifies without naming anonymous commenters."""
    kind_, obj = await visible_target(member, data.target_type, data.target_id, read_only=True)
    await open_to_writes(kind_, obj)
    parent: Comment | None = None
    if data.reply_to is not None:
        key = parse_id(data.reply_to)
        parent = await Comment.get_or_none(id=key, target_type=data.target_type, target_id=str(obj.id),
                                           status="published") if key is not None else None
        if parent is None:
            raise invalid("reply_to", "no such comment on this target")
    rich = await sanitize(data.body, field="body")
    if not rich.text:
        raise invalid("body", "must not be empty")
    at = now()
    async with in_transaction():
        comment = await Comment.create(target_type=data.target_type, target_id=str(obj.id), author_id=member.id,
                                       anonymous=data.anonymous, body=rich.html, text=rich.text,
                                       reply_to_id=parent.id if parent else None, created_at=at, updated_at=at)
        comment.thread_id = (parent.thread_id or parent.id) if parent else comment.id
        await db.connection().execute_query(db.placeholders(_THREAD), [comment.thread_id, comment.id])
        await _on_publicity(comment, True)
    await lifecycle.published(services, "comment", comment, rich.text)
    await _notify(services, member, comment, obj, parent)
    return comment


async def _notify(services: ContentServices, member: Principal, comment: Comment, obj: Any,
                  parent: Comment | None) -> None:
    commenter = None if comment.anonymous else {"id": str(member.id), "handle": member.handle}
    payload = {"comment_id": str(comment.id), "target_type": comment.target_type, "target_id": comment.target_id,
               "excerpt": snippet(comment.text, 80), "commenter": commenter}
    told = {member.id}
    owner = getattr(obj, "author_id", None)
    if owner is not None and owner not in told:
        told.add(owner)
        await services.notifier.notify(owner, "comment", payload)
    if parent is not None and parent.author_id is not None and parent.author_id not in told:
        await services.notifier.notify(parent.author_id, "comment", {**payload, "reply_to": str(parent.id)})


async def list_comments(viewer: Principal | None, query: CommentQuery) -> tuple[list[Comment], list[Any] | None]:
    """Published comments of a target the caller may see, in thread order."""
    _, obj = await visible_target(viewer, query.target_type, query.target_id, read_only=True)
    after = decode_cursor(query.cursor, (int, int))
    rows = Comment.filter(target_type=query.target_type, target_id=str(obj.id), status="published")
    if after is not None:
        thread, last = after
        rows = rows.filter(Q(thread_id__gt=thread) | Q(thread_id=thread, id__gt=last))
    found: list[Any] = await fetch(rows.order_by("thread_id", "id").limit(query.limit + 1))
    more = len(found) > query.limit
    found = found[: query.limit]
    return found, ([found[-1].thread_id, found[-1].id] if more else None)


async def get_comment(viewer: Principal | None, comment_id: object) -> Comment:
    """The comment if the caller may see it and what it is on (404, or 451 when removed)."""
    _, comment = await target("comment", comment_id, viewer)
    assert isinstance(comment, Comment)
    return comment


async def show_comment(viewer: Principal | None, comment_id: object) -> Any:
    """As ``get_comment``, read as a plain row (``kernel.rows``) for the detail view."""
    _, comment = await target("comment", comment_id, viewer, read_only=True)
    return comment


async def delete_comment(services: ContentServices, member: Principal, comment_id: object) -> None:
    """The commenter deletes (soft); replies in the thread stay."""
    comment = own_or_raise(await get_comment(member, comment_id), member, "comment")
    await lifecycle.delete_by_author(services, "comment", comment)


async def comment_json(services: ContentServices, viewer: Principal | None, rows: list[Comment], *,
                       new: bool = False) -> list[dict[str, Any]]:
    """Comments as the caller sees them: anonymous commenters hidden, replies by id only. ``new``:
    comments just written, which nobody can have liked yet."""
    if not rows:
        return []
    views = await authors_for(services, rows, viewer)
    liked = frozenset() if new else (await marks(viewer, "comment", [str(c.id) for c in rows])).liked
    return [{
        "id": str(c.id), "target_type": c.target_type, "target_id": c.target_id, "body": c.body, "text": c.text,
        **author_fields(c, viewer, views), "reply_to": str(c.reply_to_id) if c.reply_to_id else None,
        "thread_id": str(c.thread_id or c.id), "reply_count": c.comment_count if c.thread_id == c.id else 0,
        "status": c.status, "like_count": c.like_count, "liked": str(c.id) in liked, "created_at": c.created_at,
    } for c in rows]
