"""Professional accounts (认证机构与医生): clinic staff and doctors, their official replies to reviews,
and the conflict-of-interest rules that keep them from gaming reviews.

- An admin links an account as staff of a clinic (many per clinic) or as a doctor (one account per
  doctor); an account has at most one such identity (409 otherwise). The public profile shows it as
  ``verified: {type, id, name}``.
- One official reply per review (``ReviewReply``), written in the clinic's or the doctor's name
  (``by``), never the writer's: by the reviewed clinic's staff, the reviewed doctor, or the staff of
  the reviewed doctor's clinic. It is a post of its own kind (``review_reply``): reported, hidden,
  removed and restored like any post, and readable only while its review is.
- A linked doctor's named answers carry ``Answer.doctor_id`` (set when they answer, and on link
  and unlink for the answers they wrote before): the mark the answers' order and
  ``answered_by_doctor`` read.
- Conflict of interest: staff and doctors cannot review their own clinic or its doctors (403),
  cannot like reviews at all (403), and their reports on reviews and replies queue the post for a
  moderator but never count toward hiding it (``unweighted_reporters``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from content.interfaces import ContentServices
from content.models.professionals import ProfessionalLink, ReviewReply
from content.models.questions import Answer
from content.models.reference import Clinic, Doctor
from content.models.reviews import Review
from content.sanitizer import sanitize, snippet
from content.services import lifecycle
from content.visibility import (
    Kind,
    can_see,
    get_visible,
    kind,
    open_to_writes,
    post_etag,
    register,
    removed_problem,
    show_visible,
)
from kernel.clock import now
from kernel.rows import fetch
from kernel.web.auth import Principal
from kernel.web.ids import parse_id
from kernel.web.problems import Problem, conflict, invalid, not_found

CLINIC = "clinic"
DOCTOR = "doctor"


@dataclass(frozen=True)
class Identity:
    """Who a professional account speaks for: a clinic, or a doctor (and the doctor's clinic)."""

    type: str  # clinic | doctor
    id: int
    name: str
    clinic_id: int | None  # the clinic itself for staff; the doctor's clinic, if any, for a doctor

    def as_json(self) -> dict[str, Any]:
        return {"type": self.type, "id": str(self.id), "name": self.name}


async def identities(account_ids: Sequence[int]) -> dict[int, Identity]:
    """The verified identity of each of these accounts that has one."""
    if not account_ids:
        return {}
    links = await fetch(ProfessionalLink.filter(account_id__in=list(set(account_ids))))
    clinic_ids = {link.clinic_id for link in links if link.clinic_id is not None}
    doctor_ids = {link.doctor_id for link in links if link.doctor_id is not None}
    doctors = {d.id: d for d in await fetch(Doctor.filter(id__in=sorted(doctor_ids)).only(
        "id", "name", "clinic_id"))} if doctor_ids else {}
    clinics = dict(await Clinic.filter(id__in=sorted(clinic_ids)).values_list("id", "name")) if clinic_ids else {}
    found: dict[int, Identity] = {}
    for link in links:
        if link.kind == DOCTOR and link.doctor_id in doctors:
            doctor = doctors[link.doctor_id]
            found[link.account_id] = Identity(DOCTOR, doctor.id, doctor.name, doctor.clinic_id)
        elif link.kind == CLINIC and link.clinic_id in clinics:
            found[link.account_id] = Identity(CLINIC, link.clinic_id, str(clinics[link.clinic_id]), link.clinic_id)
    return found


async def identity(account_id: int) -> Identity | None:
    return (await identities([account_id])).get(account_id)


async def verified(account_id: int) -> dict[str, Any] | None:
    """The profile's ``verified``: ``{type, id, name}`` of the clinic or doctor, or None."""
    found = await identity(account_id)
    return found.as_json() if found is not None else None


# --- linking (admins) -----------------------------------------------------------------------------

async def _require_account(services: ContentServices, account_id: object) -> int:
    key = parse_id(account_id)
    if key is None or key not in await services.authors.views([key]):
        raise not_found("account")
    return key


async def link(services: ContentServices, kind_: str, target_id: object, account_id: object) -> dict[str, Any]:
    """Verify an account as staff of a clinic or as a doctor; repeating it changes nothing.

    409 when the account already speaks for someone else, or the doctor already has an account."""
    model = Clinic if kind_ == CLINIC else Doctor
    key = parse_id(target_id)
    if key is None or not await model.filter(id=key).exists():
        raise not_found(kind_)
    account = await _require_account(services, account_id)
    column = "clinic_id" if kind_ == CLINIC else "doctor_id"
    existing = await ProfessionalLink.get_or_none(account_id=account)
    if existing is not None:
        if existing.kind != kind_ or getattr(existing, column) != key:
            raise conflict("This account is already verified for another clinic or doctor; unlink it first.")
    else:
        if kind_ == DOCTOR and await ProfessionalLink.filter(doctor_id=key).exists():
            raise conflict("This doctor is already linked to another account; unlink it first.")
        try:
            async with in_transaction():
                await ProfessionalLink.create(account_id=account, kind=kind_, created_at=now(),
                                              clinic_id=key if kind_ == CLINIC else None,
                                              doctor_id=key if kind_ == DOCTOR else None)
                if kind_ == DOCTOR:
                    # Their earlier named answers are a doctor's answers from now on.
                    await Answer.filter(author_id=account, anonymous=False).update(doctor_id=key)
        except IntegrityError:
            raise conflict("This account or doctor was linked meanwhile; fetch it again.") from None
    return {"account_id": str(account), "verified": await verified(account)}


async def unlink(kind_: str, target_id: object, account_id: object) -> None:
    """Take the verification back; 404 when the account is not linked to that clinic or doctor."""
    key, account = parse_id(target_id), parse_id(account_id)
    column = "clinic_id" if kind_ == CLINIC else "doctor_id"
    if key is None or account is None:
        raise not_found("link")
    async with in_transaction():
        if not await ProfessionalLink.filter(account_id=account, kind=kind_, **{column: key}).delete():
            raise not_found("link")
        if kind_ == DOCTOR:
            await Answer.filter(author_id=account, doctor_id=key).update(doctor_id=None)


async def answer_doctor(member: Principal, anonymous: bool) -> int | None:
    """The doctor a new answer is written as: the author's, unless the answer is anonymous."""
    if anonymous:
        return None  # marking it would say who wrote it
    found = await identity(member.id)
    return found.id if found is not None and found.type == DOCTOR else None


async def doctor_views(doctor_ids: Sequence[int | None]) -> dict[int, dict[str, Any]]:
    """``by_doctor`` of answers: ``{id, name, clinic_id}`` per doctor id."""
    wanted = sorted({i for i in doctor_ids if i is not None})
    if not wanted:
        return {}
    return {d.id: {"id": str(d.id), "name": d.name, "clinic_id": str(d.clinic_id) if d.clinic_id else None}
            for d in await fetch(Doctor.filter(id__in=wanted).only("id", "name", "clinic_id"))}


# --- conflict of interest ---------------------------------------------------------------------------

async def _clinic_of(target_type: str, target_id: int) -> int | None:
    if target_type == CLINIC:
        return target_id
    rows = await Doctor.filter(id=target_id).values_list("clinic_id", flat=True)
    return int(str(rows[0])) if rows and rows[0] is not None else None


async def check_may_review(member: Principal, target_type: str, target_id: int) -> None:
    """403 when a professional account reviews its own clinic, one of its doctors, or itself."""
    me = await identity(member.id)
    if me is None:
        return
    own_doctor = me.type == DOCTOR and target_type == DOCTOR and target_id == me.id
    if own_doctor or (me.clinic_id is not None and await _clinic_of(target_type, target_id) == me.clinic_id):
        raise Problem(403, "Staff and doctors cannot review their own clinic or its doctors.")


async def check_may_like(member: Principal, target_type: str) -> None:
    """403 when a professional account likes a review: likes order reviews by helpfulness."""
    if target_type == "review" and await identity(member.id) is not None:
        raise Problem(403, "Clinic staff and doctors cannot like reviews: likes rank the reviews patients read.")


async def unweighted_reporters(target_type: str, reporter_ids: Sequence[int]) -> set[int]:
    """The reporters whose reports on this target do not count toward hiding it: professional
    accounts reporting a review or a reply (their own clinic's critics or their competitors')."""
    if target_type not in ("review", "review_reply"):
        return set()
    return set(await identities(reporter_ids))


# --- official replies -------------------------------------------------------------------------------

async def _speaker(member: Principal, review: Any) -> Identity:
    """In whose name the member may reply to this review; 403 when in none."""
    me = await identity(member.id)
    if me is not None:
        if review.target_type == DOCTOR and me.type == DOCTOR and me.id == review.target_id:
            return me
        if me.type == CLINIC and me.clinic_id == await _clinic_of(review.target_type, review.target_id):
            return me
    raise Problem(403, "Only the reviewed clinic's staff or the reviewed doctor can reply to this review.")


async def _review_open(member: Principal, review_id: object) -> Review:
    # Readable as the public reads it: a hidden review (and its reply) waits for the moderator.
    review = await get_visible(Review, review_id, member, "review")
    await open_to_writes(kind("review"), review)
    return review


async def put_reply(services: ContentServices, member: Principal, review_id: object, body: str,
                    expected: Any) -> tuple[Review, ReviewReply]:
    """Write or replace the official reply; notifies the reviewer when the reply is new.

    ``expected(etag)`` checks If-Match against the reply as it stands (none yet: the empty tag)."""
    review = await _review_open(member, review_id)
    speaker = await _speaker(member, review)
    rich = await sanitize(body, "body")
    if not rich.text:
        raise invalid("body", "must not be empty")
    current = await ReviewReply.get_or_none(review_id=review.id)
    expected(post_etag("review_reply", current) if current is not None else "")
    if current is not None and current.status == "removed":
        raise removed_problem(current, "The reply was removed; it can no longer be edited.")
    moment = now()
    fields = {"author_id": member.id, "by_type": speaker.type, "by_id": speaker.id, "body": rich.html,
              "text": rich.text, "updated_at": moment}
    fresh = current is None or current.status == "deleted"
    try:
        async with in_transaction():
            if current is None:
                reply = await ReviewReply.create(review_id=review.id, anonymous=False, author_id=member.id,
                                                 by_type=speaker.type, by_id=speaker.id, body=rich.html,
                                                 text=rich.text, created_at=moment, updated_at=moment)
            else:
                revived = {"status": "published", "created_at": moment} if fresh else {}
                # Conditional on the version read: a concurrent reply answers 412 rather than being lost.
                if not await ReviewReply.filter(id=current.id, version=current.version).update(
                        version=F("version") + 1, **fields, **revived):
                    raise Problem(412, "The reply changed since you read it; fetch the review again.")
                reply = await ReviewReply.get(id=current.id)
    except IntegrityError:
        raise Problem(412, "A reply was written meanwhile; fetch the review again.") from None
    if fresh and review.author_id is not None and review.author_id != member.id:
        # To the reviewer only; the clinic learns nothing of who they are.
        await services.notifier.notify(review.author_id, "review_reply", {
            "review_id": str(review.id), "reply_id": str(reply.id), "replier": speaker.as_json(),
            "excerpt": snippet(rich.text, 80)})
    await lifecycle.published(services, "review_reply", reply, rich.text)
    return review, reply


async def delete_reply(services: ContentServices, member: Principal, review_id: object) -> None:
    """The clinic or doctor takes its reply back (soft; a new PUT writes a new one)."""
    review = await _review_open(member, review_id)
    await _speaker(member, review)
    reply = await ReviewReply.get_or_none(review_id=review.id)
    if reply is None or reply.status == "deleted":
        raise not_found("reply")
    if reply.status == "removed":
        raise removed_problem(reply, "The reply was removed; it can no longer be deleted.")
    await lifecycle.delete_by_author(services, "review_reply", reply)


async def replies_for(review_ids: Sequence[int], viewer: Principal | None) -> dict[int, dict[str, Any]]:
    """``reply`` of each of these (already visible) reviews, as the caller may see it."""
    if not review_ids:
        return {}
    rows = [r for r in await fetch(ReviewReply.filter(review_id__in=list(review_ids)).exclude(status="deleted"))
            if can_see(r, viewer)]
    names = await _names(rows)
    return {r.review_id: reply_json(r, names) for r in rows}


async def _names(rows: Sequence[Any]) -> dict[tuple[str, int], str]:
    clinics = sorted({r.by_id for r in rows if r.by_type == CLINIC})
    doctors = sorted({r.by_id for r in rows if r.by_type == DOCTOR})
    names: dict[tuple[str, int], str] = {}
    if clinics:
        names.update({(CLINIC, int(str(i))): str(n) for i, n in await Clinic.filter(id__in=clinics).values_list(
            "id", "name")})
    if doctors:
        names.update({(DOCTOR, int(str(i))): str(n) for i, n in await Doctor.filter(id__in=doctors).values_list(
            "id", "name")})
    return names


def reply_json(reply: Any, names: dict[tuple[str, int], str]) -> dict[str, Any]:
    """A reply names its clinic or doctor (``by``), never the account that wrote it."""
    return {"id": str(reply.id), "review_id": str(reply.review_id), "body": reply.body, "text": reply.text,
            "by": {"type": reply.by_type, "id": str(reply.by_id), "name": names.get((reply.by_type, reply.by_id), "")},
            "status": reply.status, "version": reply.version, "created_at": reply.created_at,
            "updated_at": reply.updated_at}


async def get_reply(viewer: Principal | None, reply_id: object) -> dict[str, Any]:
    """One reply, readable while it and its review are (404, or 451/410 when removed)."""
    reply = await show_visible(ReviewReply, reply_id, viewer, "reply")
    await _reply_guard(reply, viewer)
    return reply_json(reply, await _names([reply]))


# --- as a registered type ------------------------------------------------------------------------

async def _reply_guard(reply: Any, viewer: Principal | None) -> None:
    # A reply is readable only with its review: a hidden or removed review hides its reply.
    await show_visible(Review, reply.review_id, viewer, "reply")


async def _no_holders(obj: Any) -> list[str]:
    return []  # replies carry no media


async def _export(reply: Any) -> dict[str, Any]:
    return {"review_id": str(reply.review_id), "by_type": reply.by_type, "by_id": str(reply.by_id),
            "body": reply.body}


register(Kind(type="review_reply", model=ReviewReply, path="/v1/review-replies/{id}", what="reply",
              title=lambda r: f"官方回复 {r.text[:30]}", holders=_no_holders, guard=_reply_guard, export=_export))


async def _erase(services: ContentServices, author_id: int, mode: str) -> None:
    """An erased account is nobody's staff or doctor any more: its verification goes (the doctor may be
    linked to a new account), and the answers it kept without their author no longer carry the
    doctor's mark, which would say who wrote them."""
    found = await ProfessionalLink.get_or_none(account_id=author_id)
    if found is None:
        return
    if found.doctor_id is not None:
        await Answer.filter(doctor_id=found.doctor_id, author_id__isnull=True).update(doctor_id=None)
    await ProfessionalLink.filter(id=found.id).delete()


lifecycle.ERASERS.append(_erase)
