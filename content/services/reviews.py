"""Reviews (评价) of clinics and doctors.

One live review per author and target: ``live_key`` (author:type:id) is unique while the review is
not deleted, so a second one answers 409 even under concurrency. The target's rating summary moves
with the review (``reference.rate``) whenever it enters or leaves the public, or its rating changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from content._listing import keyset
from content._media import attach_media, photo_views
from content.interfaces import ContentServices
from content.models.diaries import Diary
from content.models.reference import Doctor
from content.models.reviews import Review
from content.sanitizer import sanitize
from content.schemas.reviews import ReviewIn, ReviewPatch, ReviewQuery
from content.services import feed, lifecycle, professionals
from content.services.marks import marks
from content.services.reference import RATED, rate, rating_deltas, require_procedure
from content.visibility import (
    Kind,
    author_fields,
    authors_for,
    get_visible,
    is_mine,
    listed,
    own_or_raise,
    parse_id,
    post_etag,
    register,
    show_visible,
)
from kernel.clock import now
from kernel.rows import Row, fetch
from kernel.web.auth import Principal
from kernel.web.problems import Problem, conflict, invalid
from search.interfaces import Document
from search.outbox import enqueue

Precondition = Callable[[str], None]


async def reviews_json(services: ContentServices, reviews: Sequence[Review],
                       principal: Principal | None) -> list[dict[str, Any]]:
    """Reviews as the caller may see them: one author lookup for all, and at most two media lookups
    (photos shown published, and photos their author or a moderator sees in any status)."""
    authors = await authors_for(services, reviews, principal)
    mine = await marks(principal, "review", [str(r.id) for r in reviews])
    views = await photo_views(services, [(r.author_id, r.media_ids) for r in reviews], principal)
    links = await _diary_links(reviews, principal)
    replies = await professionals.replies_for([r.id for r in reviews], principal)
    return [{
        "id": str(r.id), "target_type": r.target_type, "target_id": str(r.target_id), "procedure": r.procedure,
        "rating": r.rating, "scores": r.scores, "body": r.body, "text": r.text,
        "media": [views[m].as_json() for m in r.media_ids if m in views],
        "diary_id": links.get(r.id), **author_fields(r, principal, authors),
        "status": r.status, "like_count": r.like_count, "liked": str(r.id) in mine.liked,
        "favorited": str(r.id) in mine.favorited,
        "comment_count": r.comment_count, "reply": replies.get(r.id), "version": r.version,
        "created_at": r.created_at, "updated_at": r.updated_at,
    } for r in reviews]


async def _diary_links(reviews: Sequence[Review], principal: Principal | None) -> dict[int, str]:
    """The ``diary_id`` each review may show: only to a diary of the same anonymity (new links are
    refused otherwise; links written before that rule are hidden from all but their author)."""
    linked = {r.diary_id for r in reviews if r.diary_id}
    if not linked:
        return {}
    anonymity = {int(str(i)): bool(a) for i, a in await Diary.filter(id__in=linked).values_list("id", "anonymous")}
    return {r.id: str(r.diary_id) for r in reviews
            if r.diary_id and (anonymity.get(r.diary_id) == r.anonymous or is_mine(r, principal))}


async def get_review(review_id: object, principal: Principal | None) -> Review:
    return await get_visible(Review, review_id, principal, "review")


async def show_review(review_id: object, principal: Principal | None) -> Any:
    """As ``get_review``, read as a plain row (``kernel.rows``) for the detail view."""
    return await show_visible(Review, review_id, principal, "review")


def _scores(data: ReviewIn | ReviewPatch) -> dict[str, int | None] | None:
    return data.scores.model_dump() if data.scores is not None else None


async def create_review(services: ContentServices, member: Principal, data: ReviewIn) -> Review:
    """A new review; 409 when the author already has a live review of this target."""
    target_id = parse_id(data.target_id)
    if target_id is None or not await RATED[data.target_type].filter(id=target_id).exists():
        raise invalid("target_id", f"no such {data.target_type}")
    await professionals.check_may_review(member, data.target_type, target_id)
    await require_procedure(data.procedure)
    diary_id = None
    if data.diary_id is not None:
        diary_id = parse_id(data.diary_id)
        linked = await Diary.filter(id=diary_id, author_id=member.id).exclude(status="deleted").only(
            "id", "anonymous").first() if diary_id is not None else None
        if linked is None:
            raise invalid("diary_id", "no such diary of yours")
        # diary_id says "the author of this review wrote this diary": it may only join two posts
        # that show their author alike, or it would name the author of the anonymous one.
        if linked.anonymous != data.anonymous:
            raise invalid("diary_id", "an anonymous review can name only an anonymous diary of yours, "
                                      "and a review under your name only a diary under your name")
    live_key = f"{member.id}:{data.target_type}:{target_id}"
    if await Review.filter(live_key=live_key).exists():
        raise conflict("You have already reviewed this; edit your review instead.")
    rich = await sanitize(data.body, "body")
    if not rich.text:
        raise invalid("body", "must not be empty")
    media_ids = list(dict.fromkeys(data.media_ids))
    scores = _scores(data)
    moment = now()
    try:
        async with services.media.publishing_after(), in_transaction():
            review = await Review.create(
                author_id=member.id, anonymous=data.anonymous, target_type=data.target_type, target_id=target_id,
                procedure=data.procedure, rating=data.rating, scores=scores, body=rich.html, text=rich.text,
                media_ids=media_ids, diary_id=diary_id, live_key=live_key, created_at=moment, updated_at=moment)
            await attach_media(services, f"review:{review.id}", media_ids, member.id, replace=False)
            await rate(data.target_type, target_id, rating_deltas(data.rating, scores, 1))
            await enqueue([("review", str(review.id))])
            await feed.fan_out("review", review)
    except IntegrityError:
        raise conflict("You have already reviewed this; edit your review instead.") from None
    await lifecycle.published(services, "review", review, rich.text)
    return review


async def update_review(services: ContentServices, member: Principal, review_id: object, data: ReviewPatch,
                        check: Precondition) -> Review:
    review = own_or_raise(await get_review(review_id, member), member, "review")
    check(post_etag("review", review))
    # Who may not review a clinic may not rewrite a review of it either (a member who joined its staff).
    await professionals.check_may_review(member, review.target_type, int(review.target_id))
    changes: dict[str, Any] = {}
    if "procedure" in data.model_fields_set:
        await require_procedure(data.procedure)
        changes["procedure"] = data.procedure
    if data.body is not None:
        rich = await sanitize(data.body, "body")
        if not rich.text:
            raise invalid("body", "must not be empty")
        changes.update(body=rich.html, text=rich.text)
    if data.rating is not None:
        changes["rating"] = data.rating
    if data.scores is not None:
        changes["scores"] = _scores(data)
    media_ids = list(dict.fromkeys(data.media_ids)) if data.media_ids is not None else None
    if media_ids is not None:
        changes["media_ids"] = media_ids
    if not changes:
        return review
    async with services.media.publishing_after(), in_transaction():
        # From the status it was read with too: a moderator hiding it meanwhile moved the rating by
        # the old stars already, and the difference below must not be applied on top.
        updated = await Review.filter(id=review.id, version=review.version, status=review.status).update(
            version=F("version") + 1, updated_at=now(), **changes)
        if not updated:
            raise Problem(412, "The review changed since you read it; fetch it again.")
        if review.status == "published" and ("rating" in changes or "scores" in changes):
            deltas: Counter[str] = rating_deltas(review.rating, review.scores, -1)
            deltas.update(rating_deltas(changes.get("rating", review.rating), changes.get("scores", review.scores), 1))
            await rate(review.target_type, review.target_id, deltas)
        if media_ids is not None:
            await attach_media(services, f"review:{review.id}", media_ids, member.id, replace=True)
        await enqueue([("review", str(review.id))])
    await review.refresh_from_db()
    await lifecycle.published(services, "review", review, review.text)
    return review


async def delete_review(services: ContentServices, member: Principal, review_id: object) -> None:
    review = own_or_raise(await get_review(review_id, member), member, "review")
    await Review.filter(id=review.id).update(live_key=None)
    await lifecycle.delete_by_author(services, "review", review)


async def list_reviews(q: ReviewQuery, principal: Principal | None) -> tuple[list[Review], list[Any] | None]:
    qs = listed(Review.all(), principal, q.author_id)
    if q.target_type is not None:
        qs = qs.filter(target_type=q.target_type)
    if q.target_id is not None:
        qs = qs.filter(target_id=parse_id(q.target_id) or -1)
    if q.procedure is not None:
        qs = qs.filter(procedure=q.procedure)
    if q.min_rating is not None:
        qs = qs.filter(rating__gte=q.min_rating)
    if q.sort == "helpful":
        return await keyset(qs, q, key="like_count")
    return await keyset(qs, q)


# --- as a registered type ----------------------------------------------------------------------

async def _publicity(review: Any, public: bool) -> None:
    await rate(review.target_type, review.target_id, rating_deltas(review.rating, review.scores, 1 if public else -1))


async def _media(review: Any) -> list[str]:
    return list(review.media_ids)


async def _export(review: Any) -> dict[str, Any]:
    return {"target_type": review.target_type, "target_id": str(review.target_id), "rating": review.rating,
            "scores": review.scores, "procedure": review.procedure, "body": review.body, "media_ids": review.media_ids}


async def review_documents(ids: Sequence[int]) -> dict[int, Document]:
    """Search documents of published reviews (never their author)."""
    reviews = await fetch(Review.filter(id__in=list(ids), status="published"))  # plain rows: read only
    # A review of a doctor is found under the doctor's clinic too.
    doctors = list({r.target_id for r in reviews if r.target_type == "doctor"})
    clinics: dict[int, int | None] = dict(
        await Doctor.filter(id__in=doctors).values_list("id", "clinic_id")) if doctors else {}

    def clinic_of(r: Row) -> str | None:
        clinic = r.target_id if r.target_type == "clinic" else clinics.get(r.target_id)
        return str(clinic) if clinic else None

    return {r.id: Document(type="review", id=str(r.id), title=r.text[:30], text=r.text, created_at=r.created_at,
                           procedure=r.procedure, clinic_id=clinic_of(r), popularity=float(r.like_count))
            for r in reviews}


async def _erase(services: ContentServices, author_id: int, mode: str) -> None:
    # live_key names the author: drop it, so an anonymized review keeps nothing of them.
    await Review.filter(live_key__startswith=f"{author_id}:").update(live_key=None)


lifecycle.ERASERS.append(_erase)
register(Kind(type="review", model=Review, path="/v1/reviews/{id}", what="review",
              title=lambda r: f"{r.rating}★ {r.text[:30]}", media_ids=_media, on_publicity=_publicity,
              count_as="reviews", export=_export, search_docs=review_documents))
