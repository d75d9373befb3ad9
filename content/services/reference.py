"""Reference data (procedures, clinics, doctors) and the running rating summaries of clinics and doctors.

Ratings are never recomputed from all reviews on read: ``rate(...)`` adds or subtracts one review's
rating and scores with atomic ``F()`` increments, inside the transaction that publishes, edits,
hides, removes, restores or deletes the review.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction

from content._listing import keyset
from content.models.reference import SCORE_NAMES, Clinic, Doctor, Procedure
from content.models.reviews import Review
from content.schemas.reference import (
    ClinicIn,
    ClinicPatch,
    ClinicQuery,
    DoctorIn,
    DoctorPatch,
    DoctorQuery,
    ProcedureIn,
    ProcedurePatch,
    ProcedureQuery,
)
from content.visibility import parse_id
from kernel import db
from kernel.clock import now
from kernel.web.problems import conflict, invalid, not_found
from search.interfaces import Term
from search.outbox import VOCABULARY, enqueue


def _aliases(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        alias = " ".join(value.split())[:80]
        if alias:
            seen[alias] = None
    return list(seen)


# --- procedures --------------------------------------------------------------------------------

async def procedure_exists(slug: str) -> bool:
    """Whether ``slug`` names a procedure (diaries, reviews and questions check theirs)."""
    return await Procedure.filter(slug=slug).exists()


async def require_procedure(slug: str | None, field: str = "procedure") -> None:
    """422 naming ``field`` when ``slug`` is given and names no procedure."""
    if slug is not None and not await procedure_exists(slug):
        raise invalid(field, "no such procedure")


def procedure_json(p: Procedure) -> dict[str, Any]:
    return {"slug": p.slug, "name": p.name, "parent": p.parent, "aliases": p.aliases, "version": p.version,
            "created_at": p.created_at, "updated_at": p.updated_at}


async def get_procedure(slug: str) -> Procedure:
    # A longer value cannot be a slug, and the column's validator would fail the query (a 500).
    found = await Procedure.get_or_none(slug=slug) if db.holds(Procedure, "slug", slug) else None
    if found is None:
        raise not_found("procedure")
    return found


async def create_procedure(data: ProcedureIn) -> Procedure:
    """A new procedure; its name and aliases join the search dictionary (409 for a taken slug)."""
    if data.parent is not None:
        await require_procedure(data.parent, "parent")
    moment = now()
    try:
        async with in_transaction():
            created = await Procedure.create(slug=data.slug, name=data.name, parent=data.parent,
                                             aliases=_aliases(data.aliases), created_at=moment, updated_at=moment)
            await enqueue([VOCABULARY])
    except IntegrityError:
        raise conflict("A procedure with this slug exists.") from None
    return created


async def update_procedure(p: Procedure, data: ProcedurePatch) -> Procedure:
    changes: dict[str, Any] = {}
    if data.name is not None:
        changes["name"] = data.name
    if "parent" in data.model_fields_set:
        if data.parent == p.slug:
            raise invalid("parent", "a procedure cannot be its own parent")
        await require_procedure(data.parent, "parent")
        changes["parent"] = data.parent
    if data.aliases is not None:
        changes["aliases"] = _aliases(data.aliases)
    if changes:
        async with in_transaction():
            await Procedure.filter(id=p.id).update(version=F("version") + 1, updated_at=now(), **changes)
            await enqueue([VOCABULARY])
        await p.refresh_from_db()
    return p


async def list_procedures(q: ProcedureQuery) -> tuple[list[Procedure], list[Any] | None]:
    qs = Procedure.all()
    if q.parent is not None:
        qs = qs.filter(parent=q.parent)
    if q.q:
        needle = q.q.strip()
        # Names and aliases (a JSON list: matched as text, good enough for an editor's filter).
        matching = [p.id for p in await Procedure.all().only("id", "name", "aliases")
                    if needle in p.name or any(needle in a for a in p.aliases)]
        qs = qs.filter(id__in=matching)
    return await keyset(qs, q, descending=False)


async def vocabulary() -> list[Term]:
    return [Term(p.name, "procedure", tuple(a for a in p.aliases if a != p.name))
            for p in await Procedure.all().order_by("id")]


# --- clinics and doctors -----------------------------------------------------------------------

def rating_json(row: Any) -> dict[str, Any]:
    count = row.rating_count
    scores: dict[str, float | None] = {}
    for name in SCORE_NAMES:
        n = getattr(row, f"{name}_count")
        scores[name] = round(getattr(row, f"{name}_sum") / n, 2) if n else None
    return {"average": round(row.rating_sum / count, 2) if count else None, "count": count,
            "distribution": {str(i): getattr(row, f"r{i}") for i in range(1, 6)}, "scores": scores}


def clinic_json(c: Clinic) -> dict[str, Any]:
    return {"id": str(c.id), "name": c.name, "city": c.city, "license_no": c.license_no,
            "rating": rating_json(c), "version": c.version}


def doctor_json(d: Doctor) -> dict[str, Any]:
    return {"id": str(d.id), "name": d.name, "clinic_id": str(d.clinic_id) if d.clinic_id else None,
            "title": d.title, "rating": rating_json(d), "version": d.version}


async def get_clinic(clinic_id: object) -> Clinic:
    key = parse_id(clinic_id)
    found = await Clinic.get_or_none(id=key) if key is not None else None
    if found is None:
        raise not_found("clinic")
    return found


async def get_doctor(doctor_id: object) -> Doctor:
    key = parse_id(doctor_id)
    found = await Doctor.get_or_none(id=key) if key is not None else None
    if found is None:
        raise not_found("doctor")
    return found


async def require_ref(model: type[Model], value: str | None, field: str) -> int | None:
    """The id of an existing clinic or doctor named in a body, None when absent; 422 naming ``field``."""
    if value is None:
        return None
    key = parse_id(value)
    if key is None or not await model.filter(id=key).exists():
        raise invalid(field, "no such " + field.removesuffix("_id"))
    return key


async def create_clinic(data: ClinicIn) -> Clinic:
    moment = now()
    return await Clinic.create(name=data.name, city=data.city, license_no=data.license_no, created_at=moment,
                               updated_at=moment)


async def update_clinic(c: Clinic, data: ClinicPatch) -> Clinic:
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") is None:
        changes.pop("name", None)
    if changes.get("city") is None:
        changes.pop("city", None)
    if changes:
        await Clinic.filter(id=c.id).update(version=F("version") + 1, updated_at=now(), **changes)
        await c.refresh_from_db()
    return c


async def list_clinics(q: ClinicQuery) -> tuple[list[Clinic], list[Any] | None]:
    qs = Clinic.all()
    if q.city:
        qs = qs.filter(city=q.city)
    if q.q and q.q.strip():
        qs = qs.filter(name__icontains=q.q.strip())
    return await keyset(qs, q)


async def create_doctor(data: DoctorIn) -> Doctor:
    clinic_id = await require_ref(Clinic, data.clinic_id, "clinic_id")
    moment = now()
    return await Doctor.create(name=data.name, clinic_id=clinic_id, title=data.title, created_at=moment,
                               updated_at=moment)


async def update_doctor(d: Doctor, data: DoctorPatch) -> Doctor:
    changes: dict[str, Any] = {}
    if data.name is not None:
        changes["name"] = data.name
    if data.title is not None:
        changes["title"] = data.title
    if "clinic_id" in data.model_fields_set:
        changes["clinic_id"] = await require_ref(Clinic, data.clinic_id, "clinic_id")
    if changes:
        moved = "clinic_id" in changes and changes["clinic_id"] != d.clinic_id
        async with in_transaction():
            await Doctor.filter(id=d.id).update(version=F("version") + 1, updated_at=now(), **changes)
            if moved:
                # The doctor's reviews are found under their clinic: re-index them under the new one.
                reviews = await Review.filter(target_type="doctor", target_id=d.id, status="published").values_list(
                    "id", flat=True)
                await enqueue([("review", str(i)) for i in reviews])
        await d.refresh_from_db()
    return d


async def list_doctors(q: DoctorQuery) -> tuple[list[Doctor], list[Any] | None]:
    qs = Doctor.all()
    if q.clinic_id is not None:
        qs = qs.filter(clinic_id=parse_id(q.clinic_id) or -1)
    if q.q and q.q.strip():
        qs = qs.filter(name__icontains=q.q.strip())
    return await keyset(qs, q)


# --- rating summaries --------------------------------------------------------------------------

RATED: Mapping[str, type[Model]] = {"clinic": Clinic, "doctor": Doctor}


def rating_deltas(rating: int, scores: Mapping[str, int | None] | None, sign: int) -> Counter[str]:
    """What one review adds to (sign 1) or takes from (sign -1) its target's summary."""
    deltas: Counter[str] = Counter({"rating_count": sign, "rating_sum": sign * rating, f"r{rating}": sign})
    for name in SCORE_NAMES:
        value = (scores or {}).get(name)
        if value is not None:
            deltas[f"{name}_sum"] += sign * value
            deltas[f"{name}_count"] += sign
    return deltas


async def rate(target_type: str, target_id: int, deltas: Counter[str]) -> None:
    """Apply rating deltas to a clinic or doctor with one atomic UPDATE."""
    changes = {name: F(name) + delta for name, delta in deltas.items() if delta}
    if changes:
        await RATED[target_type].filter(id=target_id).update(**changes)
