"""Who may see a post, and how its author is shown: the ONE place status and anonymity are enforced.

Every read path of every content type goes through these helpers:

- ``visible_or_raise(obj, principal, "diary")``: the object if the caller may see it, else
  404 (``hidden`` to others, ``deleted`` to everyone, unknown), or for ``removed`` (to everyone but
  moderators and the author) 451 ``{case_id, reason}`` on a legal notice and 410 ``{reason}`` for a
  policy reason. ``await get_visible(Model, id, principal,
  "diary")`` fetches and checks in one go (a non-numeric id is a 404, not a 422).
- ``listed(qs, principal, author_id)``: the queryset filter for every list. Only ``published`` rows;
  ``author_id`` filters leave out anonymous posts unless the caller *is* that author (who then also
  sees their own hidden and removed posts).
- ``await authors_for(services, objs, principal)`` then ``author_fields(obj, principal, views)`` →
  ``{"author": {id, handle, avatar} | None, "is_mine": bool, "anonymous": bool}``. One batched
  ``services.authors.views(ids)`` call per response; anonymous authors are never looked up for others.
- ``post_etag(type, obj)``: the ETag (a hash of type, id and version: no author, no time).

The registry ``KINDS`` maps each target type (diary, diary_entry, review, question, answer, comment,
wiki) to its model and hooks, so moderation, likes, comments, privacy tools and search act on any
type generically: ``register(Kind(...))`` at import of the area's services module. ``kind("diary")``
raises 404 for unknown types. ``await bump(type, id, like_count=1)`` changes counters atomically (and
the stored ``popularity`` where the model has one).
"""

from __future__ import annotations

import builtins
import functools
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

from tortoise.models import Model
from tortoise.queryset import QuerySet

from content.interfaces import AuthorView, ContentServices
from kernel import db
from kernel.rows import fetch_by_id
from kernel.web.auth import Principal
from kernel.web.etags import etag
from kernel.web.ids import parse_id as parse_id  # the one id parser, re-exported for the rooms
from kernel.web.problems import Problem, not_found
from search.interfaces import DOC_TYPES, DocKey, Document, Term

PUBLIC = "published"


class Post(Protocol):
    """What these helpers read of a row: ``content.models._base.Post`` has all of it."""

    @property
    def id(self) -> int: ...
    @property
    def author_id(self) -> int | None: ...
    @property
    def anonymous(self) -> bool: ...
    @property
    def status(self) -> str: ...
    @property
    def case_id(self) -> str | None: ...
    @property
    def status_reason(self) -> str | None: ...
    @property
    def version(self) -> int: ...


P = TypeVar("P", bound=Model)


# --- reading one object ------------------------------------------------------------------------

def is_mine(obj: Post, principal: Principal | None) -> bool:
    return principal is not None and obj.author_id is not None and obj.author_id == principal.id


def can_see(obj: Post, principal: Principal | None) -> bool:
    """Whether the caller may read ``obj`` at all (moderators see hidden and removed, never deleted)."""
    if obj.status == PUBLIC:
        return True
    if obj.status == "deleted":
        return False
    return is_mine(obj, principal) or (principal is not None and principal.is_moderator)


def visible_or_raise(obj: P | None, principal: Principal | None, what: str = "resource") -> P:
    """``obj`` when the caller may read it; 404 or 451 ``{case_id, reason}`` otherwise."""
    if obj is None:
        raise not_found(what)
    post = cast(Post, obj)
    if can_see(post, principal):
        return obj
    if post.status == "removed":
        raise removed_problem(post)
    raise not_found(what)


def removed_problem(post: Post, detail: str = "") -> Problem:
    """451 ``{case_id, reason}`` for a removal on a legal notice (a case holds it); 410 ``{reason}``
    for a removal for a policy reason (spam, advertising...), which is not "for legal reasons"."""
    if post.case_id:
        return Problem(451, detail or "This content was removed after a legal notice.",
                       extra={"case_id": post.case_id, "reason": post.status_reason})
    return Problem(410, detail or "This content was removed for breaking the community rules.",
                   extra={"reason": post.status_reason})


async def get_visible(model: type[P], object_id: object, principal: Principal | None, what: str) -> P:
    """Fetch by id and check visibility: the object, or 404 / 451."""
    key = parse_id(object_id)
    obj = await model.get_or_none(id=key) if key is not None else None
    return visible_or_raise(obj, principal, what)


async def show_visible(model: type[Model], object_id: object, principal: Principal | None, what: str) -> Any:
    """As ``get_visible``, read as a plain row (``kernel.rows``): for read-only paths."""
    key = parse_id(object_id)
    found: Any = await fetch_by_id(model, key) if key is not None else None  # a Row, read like the model
    return visible_or_raise(found, principal, what)


def own_or_raise(obj: P, principal: Principal, what: str = "resource") -> P:
    """For author-only actions (edit, delete): 404 when not visible, 403 when visible but not theirs."""
    visible_or_raise(obj, principal, what)
    post = cast(Post, obj)
    if not is_mine(post, principal):
        raise Problem(403, f"Only the author can change this {what}.")
    if post.status == "removed":
        raise removed_problem(post, "This content was removed; it can no longer be edited.")
    return obj


# --- lists -------------------------------------------------------------------------------------

def listed(qs: QuerySet[P], principal: Principal | None, author_id: str | None = None) -> QuerySet[P]:
    """The rows a list may show. With ``author_id``: that author's public, non-anonymous posts, or
    all their live posts (anonymous, hidden, removed too) when the caller is that author."""
    if author_id is None:
        return qs.filter(status=PUBLIC)
    key = parse_id(author_id)
    if key is None:
        return qs.filter(id=-1)
    if principal is not None and principal.id == key:
        return qs.filter(author_id=key, status__in=(PUBLIC, "hidden", "removed"))
    return qs.filter(author_id=key, status=PUBLIC, anonymous=False)


# --- authors -----------------------------------------------------------------------------------

def shown_author_id(obj: Post, principal: Principal | None) -> int | None:
    """The author id the caller may learn: none for anonymous posts unless the caller wrote them."""
    if obj.author_id is None:
        return None
    if obj.anonymous and not is_mine(obj, principal):
        return None
    return obj.author_id


# Author views live for a second, per ``Authors`` backend (so one app's cache never answers for
# another app's database): lists and details of the same few authors stop costing a query per
# request, and a renamed or deleted account shows within AUTHOR_TTL seconds.
AUTHOR_TTL = 1.0
_author_caches: weakref.WeakKeyDictionary[Any, dict[int, tuple[float, AuthorView | None]]] = (
    weakref.WeakKeyDictionary())


async def authors_for(services: ContentServices, objs: Iterable[Post], principal: Principal | None) -> dict[int,
                      AuthorView]:
    """One batched lookup of the authors the caller may see for ``objs`` (none for anonymous posts)."""
    ids = {i for i in (shown_author_id(o, principal) for o in objs) if i is not None}
    if not ids:
        return {}
    cache = _author_caches.setdefault(services.authors, {})
    moment = time.monotonic()
    found: dict[int, AuthorView] = {}
    missing = []
    for author_id in ids:
        cached = cache.get(author_id)
        if cached is not None and cached[0] > moment:
            if cached[1] is not None:
                found[author_id] = cached[1]
        else:
            missing.append(author_id)
    if missing:
        views: dict[int, AuthorView] = await services.authors.views(sorted(missing))
        if len(cache) > 10_000:
            cache.clear()
        for author_id in missing:
            view = views.get(author_id)
            cache[author_id] = (moment + AUTHOR_TTL, view)
            if view is not None:
                found[author_id] = view
    return found


def forget_author(author_id: int) -> None:
    """Drop cached author views of ``author_id`` at once (after an account change seen in this process)."""
    for cache in list(_author_caches.values()):
        cache.pop(author_id, None)


def author_fields(obj: Post, principal: Principal | None, views: dict[int, AuthorView]) -> dict[str, Any]:
    """``author`` (or null), ``is_mine`` and ``anonymous``, as every serializer must emit them."""
    shown = shown_author_id(obj, principal)
    view = views.get(shown) if shown is not None else None
    return {"author": view.as_json() if view else None, "is_mine": is_mine(obj, principal),
            "anonymous": obj.anonymous}


def post_etag(type_: str, obj: Post) -> str:
    return etag(type_, obj.id, obj.version)


# --- the registry of target types --------------------------------------------------------------

def _no_text(obj: Any) -> str:
    return str(getattr(obj, "text", "") or "")


@dataclass(frozen=True, kw_only=True)
class Kind:
    """A content type as moderation, likes, comments, search and the privacy tools see it.

    - ``path``: the API path of one object, with ``{id}``.
    - ``title`` / ``preview``: plain text for moderators' queue and the export.
    - ``documents``: the search documents that contain the object (an entry lives in its diary's).
    - ``holders``: media holders whose serving follows the object's status (a diary's includes
      its entries'). ``media_ids``: its own media ids (for moderation).
    - ``on_publicity(obj, public)``: called inside the transaction whenever the object enters
      (True) or leaves (False) the public, to keep counters and ratings exact.
    - ``count_as``: the key of ``public_counts`` (profile), or None for types not counted.
    - ``export``: extra fields for the data export.
    - ``guard(obj, principal)``: a further read check (an entry is visible only with its diary).
    - ``search_docs(ids)``: the search documents of those ids that are published (others absent),
      for the types in ``search.interfaces.DOC_TYPES``; ``terms()``: vocabulary for search (wiki).
    - ``popularity``: how much each counter moves the stored ``popularity`` (see ``bump``).
    """

    type: str
    model: builtins.type[Model]
    path: str
    what: str = ""
    title: Callable[[Any], str] = lambda obj: ""
    preview: Callable[[Any], str] = _no_text
    documents: Callable[[Any], Awaitable[list[DocKey]]] | None = None
    holders: Callable[[Any], Awaitable[list[str]]] | None = None
    media_ids: Callable[[Any], Awaitable[list[str]]] | None = None
    on_publicity: Callable[[Any, bool], Awaitable[None]] | None = None
    count_as: str | None = None
    export: Callable[[Any], Awaitable[dict[str, Any]]] | None = None
    popularity: dict[str, float] = field(default_factory=dict)
    guard: Callable[[Any, Principal | None], Awaitable[None]] | None = None
    search_docs: Callable[[Sequence[int]], Awaitable[dict[int, Document]]] | None = None
    terms: Callable[[], Awaitable[list[Term]]] | None = None

    @property
    def noun(self) -> str:
        return self.what or self.type.replace("_", " ")

    async def docs_of(self, obj: Any) -> list[DocKey]:
        if self.documents is not None:
            return await self.documents(obj)
        return [(self.type, str(obj.id))] if self.type in DOC_TYPES else []

    async def holders_of(self, obj: Any) -> list[str]:
        if self.holders is not None:
            return await self.holders(obj)
        return [f"{self.type}:{obj.id}"]

    async def media_of(self, obj: Any) -> list[str]:
        return await self.media_ids(obj) if self.media_ids is not None else []

    def url(self, obj: Any) -> str:
        return self.path.replace("{id}", str(obj.id))


KINDS: dict[str, Kind] = {}


def register(kind_: Kind) -> Kind:
    """Make a content type known to moderation, likes, comments, search and the privacy tools."""
    KINDS[kind_.type] = kind_
    return kind_


def kind(type_: str) -> Kind:
    """The registered type; 404 for an unknown one (a ``target_type`` in a body gets 422 from its schema)."""
    found = KINDS.get(type_)
    if found is None:
        raise not_found("content type")
    return found


async def target(type_: str, object_id: object, principal: Principal | None, *,
                 read_only: bool = False) -> tuple[Kind, Any]:
    """Any registered object the caller may see (for comments, likes): its kind and row, or 404/451.

    ``read_only``: the object as a plain row, for callers that only read it.
    """
    k = kind(type_)
    found = show_visible if read_only else get_visible
    obj = await found(k.model, object_id, principal, k.noun)
    if k.guard is not None:
        await k.guard(obj, principal)
    return k, obj


async def open_to_writes(k: Kind, obj: Any) -> None:
    """``obj`` as the parent of a write (an entry in its diary, a comment or a like on it, an answer,
    vote or acceptance under a question): the write answers as ``obj`` answers the public's read,
    whoever writes. 404 when it or a parent of it is hidden or deleted, 451/410 when removed: an
    author or a moderator who may still read a hidden post cannot add to it until it is public."""
    visible_or_raise(obj, None, k.noun)
    if k.guard is not None:
        await k.guard(obj, None)


async def bump(type_: str, object_id: int, **deltas: int) -> None:
    """Atomically add to counters (``like_count=1``, ``comment_count=-1``) and the stored popularity.

    One statement written once per model and set of counters: every like and comment runs it, and
    built through Tortoise on each call it cost more than the database took to run it.
    """
    k = kind(type_)
    changes: dict[str, float] = {name: delta for name, delta in deltas.items() if delta}
    score = sum(k.popularity.get(name, 0.0) * delta for name, delta in changes.items())
    if score and "popularity" in k.model._meta.fields_map:
        changes["popularity"] = score
    if changes:
        await db.connection().execute_query(db.placeholders(_bump_sql(k.model, tuple(changes))),
                                            [*changes.values(), object_id])


@functools.cache
def _bump_sql(model: type[Model], names: tuple[str, ...]) -> str:
    columns = model._meta.fields_db_projection
    sets = ", ".join(f'"{columns[name]}" = "{columns[name]}" + ?' for name in names)
    return f'UPDATE "{model._meta.db_table}" SET {sets} WHERE "id" = ?'  # noqa: S608 - names come from the model


def registered() -> Sequence[Kind]:
    return list(KINDS.values())
