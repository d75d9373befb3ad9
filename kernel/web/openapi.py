"""The OpenAPI 3.1 document, built from the same pydantic schemas that validate requests."""

from __future__ import annotations

import re
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from kernel.web.endpoints import Endpoint

_PARAM = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {"type": "object", "required": ["field", "message"],
                      "properties": {"field": {"type": "string"}, "message": {"type": "string"}}},
        },
    },
}


def _problem(status: int) -> dict[str, Any]:
    return {"description": HTTPStatus(status).phrase,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def document(endpoints: Iterable[Endpoint], *, title: str, version: str) -> dict[str, Any]:
    endpoints = list(endpoints)
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for e in endpoints:
        if e.body is not None:
            models.append((e.body, "validation"))
        if e.response is not None:
            models.append((e.response, "serialization"))
    keys, defs = models_json_schema(models, ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas["Problem"] = PROBLEM_SCHEMA

    def ref(model: type[BaseModel], mode: Literal["validation", "serialization"]) -> dict[str, Any]:
        return dict(keys[(model, mode)])

    paths: dict[str, dict[str, Any]] = {}
    for e in endpoints:
        path = _PARAM.sub(r"{\1}", e.path)
        operation: dict[str, Any] = {
            "operationId": f"{e.method.lower()}_{e.handler.__name__}",
            "summary": e.summary or e.handler.__name__.replace("_", " "),
            "tags": [e.tag],
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in _PARAM.findall(e.path)
            ],
        }
        if e.auth != "public":
            operation["security"] = [{"bearer": []}]
        if e.query is not None:
            query_schema = e.query.model_json_schema(ref_template="#/components/schemas/{model}")
            required = set(query_schema.get("required", []))
            for name, prop in query_schema.get("properties", {}).items():
                operation["parameters"].append({"name": name, "in": "query", "required": name in required,
                                                "schema": prop})
            schemas.update(query_schema.get("$defs", {}))
        for header in e.headers:
            operation["parameters"].append({"name": header, "in": "header", "required": False,
                                            "schema": {"type": "string"}})
        if e.idempotent:
            operation["parameters"].append({"name": "Idempotency-Key", "in": "header", "required": False,
                                            "schema": {"type": "string", "maxLength": 200}})
        if e.request_schema is not None:
            operation["requestBody"] = {"required": True, "content": e.request_schema}
        elif e.body is not None:
            operation["requestBody"] = {"required": True,
                                        "content": {"application/json": {"schema": ref(e.body, "validation")}}}
        success: dict[str, Any] = {"description": HTTPStatus(e.status).phrase}
        if e.response is not None:
            success["content"] = {"application/json": {"schema": ref(e.response, "serialization")}}
        responses: dict[str, Any] = {str(e.status): success}
        codes = set(e.errors) | {429}
        if e.body is not None or e.query is not None:
            codes |= {400, 413, 415, 422}
        if e.auth != "public":
            codes |= {401, 403}
        for code in sorted(codes):
            responses[str(code)] = _problem(code)
        operation["responses"] = responses
        paths.setdefault(path, {})[e.method.lower()] = operation

    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "The meiji HTTP API: diaries, reviews, Q&A, encyclopedia, media, search "
                                "and moderation for a medical-aesthetics community."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
