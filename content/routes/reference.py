"""HTTP routes: procedures, clinics and doctors (editors write, anyone reads)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from content.schemas.reference import (
    ClinicIn,
    ClinicOut,
    ClinicPatch,
    ClinicQuery,
    DoctorIn,
    DoctorOut,
    DoctorPatch,
    DoctorQuery,
    ProcedureIn,
    ProcedureOut,
    ProcedurePatch,
    ProcedureQuery,
)
from content.services import follows
from content.services import reference as services
from kernel.web.endpoints import Api, Call, json_response
from kernel.web.etags import check_if_match, etag
from kernel.web.pagination import Page, page

api = Api("reference")


async def _marked(call: Call[Any, Any], kind: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``follower_count`` and the caller's ``followed`` on each item (procedures go by slug)."""
    keys = [str(item["slug"] if kind == "procedure" else item["id"]) for item in items]
    marks = await follows.marks(call.principal, kind, keys)
    return [{**item, **marks[key]} for item, key in zip(items, keys, strict=True)]


async def _tagged(call: Call[Any, Any], data: dict[str, Any], kind: str, key: object, version: int,
                  status: int = 200) -> Response:
    [marked] = await _marked(call, kind, [data])
    return json_response(marked, status, headers={"ETag": etag(kind, key, version)})


@api.route("GET", "/v1/procedures", query=ProcedureQuery, response=Page[ProcedureOut])
async def list_procedures(call: Call[None, ProcedureQuery]) -> object:
    """Procedures, with their aliases."""
    rows, after = await services.list_procedures(call.query)
    return page(await _marked(call, "procedure", [services.procedure_json(p) for p in rows]), after)


@api.route("POST", "/v1/procedures", body=ProcedureIn, response=ProcedureOut, status=201, auth="editor",
           idempotent=True, errors=(409,))
async def create_procedure(call: Call[ProcedureIn, None]) -> Response:
    """Add a procedure (its name and aliases join the search dictionary)."""
    p = await services.create_procedure(call.body)
    return await _tagged(call, services.procedure_json(p), "procedure", p.id, p.version, 201)


@api.route("GET", "/v1/procedures/{slug}", response=ProcedureOut)
async def get_procedure(call: Call[None, None]) -> Response:
    """One procedure."""
    p = await services.get_procedure(call.path["slug"])
    return await _tagged(call, services.procedure_json(p), "procedure", p.id, p.version)


@api.route("PATCH", "/v1/procedures/{slug}", body=ProcedurePatch, response=ProcedureOut, auth="editor",
           errors=(412,))
async def patch_procedure(call: Call[ProcedurePatch, None]) -> Response:
    """Rename a procedure or change its parent or aliases."""
    p = await services.get_procedure(call.path["slug"])
    check_if_match(call.request, etag("procedure", p.id, p.version))
    p = await services.update_procedure(p, call.body)
    return await _tagged(call, services.procedure_json(p), "procedure", p.id, p.version)


@api.route("GET", "/v1/clinics", query=ClinicQuery, response=Page[ClinicOut])
async def list_clinics(call: Call[None, ClinicQuery]) -> object:
    """Clinics, newest first, with their ratings."""
    rows, after = await services.list_clinics(call.query)
    return page(await _marked(call, "clinic", [services.clinic_json(c) for c in rows]), after)


@api.route("POST", "/v1/clinics", body=ClinicIn, response=ClinicOut, status=201, auth="editor", idempotent=True)
async def create_clinic(call: Call[ClinicIn, None]) -> Response:
    """Add a clinic."""
    c = await services.create_clinic(call.body)
    return await _tagged(call, services.clinic_json(c), "clinic", c.id, c.version, 201)


@api.route("GET", "/v1/clinics/{id}", response=ClinicOut)
async def get_clinic(call: Call[None, None]) -> Response:
    """One clinic with its rating summary."""
    c = await services.get_clinic(call.path["id"])
    return await _tagged(call, services.clinic_json(c), "clinic", c.id, c.version)


@api.route("PATCH", "/v1/clinics/{id}", body=ClinicPatch, response=ClinicOut, auth="editor", errors=(412,))
async def patch_clinic(call: Call[ClinicPatch, None]) -> Response:
    """Change a clinic's name, city or licence number."""
    c = await services.get_clinic(call.path["id"])
    check_if_match(call.request, etag("clinic", c.id, c.version))
    c = await services.update_clinic(c, call.body)
    return await _tagged(call, services.clinic_json(c), "clinic", c.id, c.version)


@api.route("GET", "/v1/doctors", query=DoctorQuery, response=Page[DoctorOut])
async def list_doctors(call: Call[None, DoctorQuery]) -> object:
    """Doctors, newest first, with their ratings."""
    rows, after = await services.list_doctors(call.query)
    return page(await _marked(call, "doctor", [services.doctor_json(d) for d in rows]), after)


@api.route("POST", "/v1/doctors", body=DoctorIn, response=DoctorOut, status=201, auth="editor", idempotent=True)
async def create_doctor(call: Call[DoctorIn, None]) -> Response:
    """Add a doctor."""
    d = await services.create_doctor(call.body)
    return await _tagged(call, services.doctor_json(d), "doctor", d.id, d.version, 201)


@api.route("GET", "/v1/doctors/{id}", response=DoctorOut)
async def get_doctor(call: Call[None, None]) -> Response:
    """One doctor with their rating summary."""
    d = await services.get_doctor(call.path["id"])
    return await _tagged(call, services.doctor_json(d), "doctor", d.id, d.version)


@api.route("PATCH", "/v1/doctors/{id}", body=DoctorPatch, response=DoctorOut, auth="editor", errors=(412,))
async def patch_doctor(call: Call[DoctorPatch, None]) -> Response:
    """Change a doctor's name, clinic or title."""
    d = await services.get_doctor(call.path["id"])
    check_if_match(call.request, etag("doctor", d.id, d.version))
    d = await services.update_doctor(d, call.body)
    return await _tagged(call, services.doctor_json(d), "doctor", d.id, d.version)


routes = api.routes
