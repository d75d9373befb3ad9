"""The OpenAPI 3.1 document, built from the same pydantic schemas that validate requests.

Each operation is described for a newcomer from what its declaration already says: the handler's
docstring says what it does and changes, ``auth`` says who may call it, the declared errors say
what can go wrong (a route may declare ``errors={409: "why"}`` to say more than the generic words
below). Request examples come from the composition root, keyed by ``"METHOD /path"``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from kernel.web.endpoints import Endpoint

_PARAM = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")

CASE_TOKEN = "X-Case-Token"  # noqa: S105 - a header name, not a secret

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

# Removed content answers these bodies: the problem fields plus what the reader may know of why.
LEGAL_REMOVAL_SCHEMA: dict[str, Any] = {
    "allOf": [
        {"$ref": "#/components/schemas/Problem"},
        {"type": "object", "required": ["case_id", "reason"],
         "properties": {"case_id": {"type": ["string", "null"], "description": "the legal case (侵权投诉) behind "
                                    "the removal; follow it with its X-Case-Token or file a counter-notice"},
                        "reason": {"type": ["string", "null"], "description": "why it was removed"}}},
    ],
}
POLICY_REMOVAL_SCHEMA: dict[str, Any] = {
    "allOf": [
        {"$ref": "#/components/schemas/Problem"},
        {"type": "object", "required": ["reason"],
         "properties": {"reason": {"type": ["string", "null"],
                                   "description": "the policy reason (spam, advertising...)"}}},
    ],
}
_BODY_SCHEMAS = {451: "LegalRemoval", 410: "PolicyRemoval"}

SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "The token `POST /v1/sessions` answers, as `Authorization: Bearer <token>`."},
    "caseToken": {"type": "apiKey", "in": "header", "name": CASE_TOKEN,
                  "description": "The `access_token` `POST /v1/notices` answers: it lets the claimant follow "
                                 "and act on that one legal case (and see its evidence) without an account."},
}

WHO: Mapping[str, str] = {
    "public": "Anyone, without an account. A bearer token is optional; with one the answer may show the "
              "caller more (their own hidden or anonymous posts, `is_mine`).",
    "member": "A signed-in member (bearer token).",
    "editor": "Editors and admins (bearer token).",
    "moderator": "Moderators and admins (bearer token); each action is written to the moderation log.",
    "admin": "Admins only (bearer token).",
}

ERRORS: Mapping[int, str] = {
    400: "The body or query is not well-formed (not JSON, invalid encoding, NUL characters, too deep).",
    401: "The bearer token is missing where one is needed, not valid, or revoked.",
    403: "The caller may not do this: the role does not allow it, the account is suspended (it can read, "
         "not write), or the object is someone else's.",
    404: "No such object, or the caller may not see it (whether private things exist is not revealed).",
    405: "The path exists but not with this method.",
    409: "It conflicts with the current state (a duplicate, an object in use, or another holder).",
    410: "Removed for a policy reason (spam, advertising...): the body carries `reason`.",
    412: "`If-Match` does not match the current `ETag`: read it again and retry.",
    413: "The body is larger than this route accepts.",
    415: "The body's content type is not accepted here.",
    422: "A field is invalid: `errors` names each one.",
    428: "`If-Match` is required here.",
    429: "Too many requests: wait `Retry-After` seconds (`detail` names the limit and its setting).",
    451: "Removed after a legal notice (or a moderation decision): the body carries `case_id` and "
         "`reason`. Its author and moderators still read it.",
    503: "A backend (database, storage or search) is unavailable: retry later.",
}


def _problem(status: int, meaning: str) -> dict[str, Any]:
    schema = _BODY_SCHEMAS.get(status, "Problem")
    return {"description": meaning,
            "content": {"application/problem+json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def error_codes(e: Endpoint) -> list[int]:
    """Every status other than success the endpoint may answer."""
    # Every route resolves a bearer token when one is sent, so a stale token is 401 everywhere;
    # and that reads the database, which answers 503 while it is down or restarting.
    codes = set(e.errors) | {401, 503}
    if e.shared_limit or e.rate or e.posting:
        codes |= {429}  # a full window of a bucket the route counts in
    if e.body is not None or e.query is not None or e.request_schema is not None:
        codes |= {400, 413, 415, 422}
    if e.auth != "public":
        codes |= {403}
    if e.idempotent:
        codes |= {409}  # the same Idempotency-Key while its first request is still at work
    if "{" in e.path:
        codes |= {404}  # a path that names an object answers 404 when there is none, or it is not yours to see
    if 451 in codes:
        # Removed content answers 451 on a legal notice and 410 on a policy reason, on the same paths.
        codes |= {410}
    return sorted(codes)


def error_meaning(e: Endpoint, code: int) -> str:
    specific = e.errors.get(code) if isinstance(e.errors, Mapping) else None
    return str(specific) if specific else ERRORS.get(code, HTTPStatus(code).phrase)


def security(e: Endpoint) -> list[dict[str, list[str]]]:
    """The credentials an operation accepts; ``{}`` means it may be called without any."""
    if e.auth != "public":
        return [{"bearer": []}]
    if CASE_TOKEN in e.headers:
        return [{}, {"caseToken": []}, {"bearer": []}]
    return [{}, {"bearer": []}]


def _docstring(e: Endpoint) -> str:
    text = inspect.cleandoc(e.handler.__doc__ or "")
    # Unwrap the source's line breaks; keep blank lines as paragraph breaks.
    return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n") if p.strip())


def summary(e: Endpoint) -> str:
    """The docstring's first clause (up to a colon, semicolon or full stop outside brackets), on one line."""
    text = _docstring(e).split("\n\n")[0]
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and char in ":;." and text[i + 1:i + 2] in (" ", ""):
            text = text[:i]
            break
    return text or e.handler.__name__.replace("_", " ")


def description(e: Endpoint) -> str:
    """What the operation does and changes, who may call it, and its errors, in Markdown."""
    who = WHO[e.auth]
    if CASE_TOKEN in e.headers and e.auth == "public":
        who = (f"No account needed; the answer depends on the credentials sent. The `{CASE_TOKEN}` of a legal "
               f"case opens that case and its evidence to its claimant; a bearer token opens what its account "
               f"may see (moderators: every case). Without either, only what is public: a case is 404.")
    if e.auth != "public" and e.method not in ("GET", "HEAD") and not e.suspended_ok:
        who += " A suspended account gets 403."
    parts = [_docstring(e) or e.summary or e.handler.__name__.replace("_", " "), f"**Who may call it:** {who}"]
    changes = ("Nothing: it only reads." if e.method in ("GET", "HEAD")
               else "What the first paragraph says, all or nothing: an error answer leaves nothing written.")
    if e.idempotent:
        changes += (" Send an `Idempotency-Key` header to retry safely: the same key and body answer the "
                    "first result again.")
    parts.append(f"**Changes:** {changes}")
    if e.rate:
        parts.append(f"**Rate limit:** the `{e.rate}` bucket of `MEIJI_RATE_LIMITS`, per client address.")
    if e.posting:
        parts.append("**Rate limit:** the `post` bucket of `MEIJI_RATE_LIMITS` per account (`post_new` for "
                     "accounts younger than `MEIJI_REPORTER_MIN_AGE_DAYS`), whatever the session.")
    errors = "\n".join(f"- `{code}`: {error_meaning(e, code)}" for code in error_codes(e))
    parts.append(f"**Errors** (`application/problem+json`):\n\n{errors}")
    return "\n\n".join(parts)


def document(endpoints: Iterable[Endpoint], *, title: str, version: str,
             examples: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The document for ``endpoints``; ``examples`` maps ``"METHOD /path"`` to a request body."""
    endpoints = list(endpoints)
    examples = examples or {}
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for e in endpoints:
        if e.body is not None:
            models.append((e.body, "validation"))
        if e.response is not None:
            models.append((e.response, "serialization"))
    keys, defs = models_json_schema(models, ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["LegalRemoval"] = LEGAL_REMOVAL_SCHEMA
    schemas["PolicyRemoval"] = POLICY_REMOVAL_SCHEMA

    def ref(model: type[BaseModel], mode: Literal["validation", "serialization"]) -> dict[str, Any]:
        return dict(keys[(model, mode)])

    paths: dict[str, dict[str, Any]] = {}
    for e in endpoints:
        path = _PARAM.sub(r"{\1}", e.path)
        operation: dict[str, Any] = {
            "operationId": f"{e.method.lower()}_{e.handler.__name__}",
            "summary": summary(e),
            "description": description(e),
            "tags": [e.tag],
            "security": security(e),
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in _PARAM.findall(e.path)
            ],
        }
        if e.query is not None:
            query_schema = e.query.model_json_schema(ref_template="#/components/schemas/{model}")
            required = set(query_schema.get("required", []))
            for name, prop in query_schema.get("properties", {}).items():
                operation["parameters"].append({"name": name, "in": "query", "required": name in required,
                                                "schema": prop})
            schemas.update(query_schema.get("$defs", {}))
        for header in e.headers:
            if header == CASE_TOKEN:
                continue  # a security scheme, declared above
            operation["parameters"].append({"name": header, "in": "header", "required": False,
                                            "schema": {"type": "string"}})
        if e.idempotent:
            operation["parameters"].append({"name": "Idempotency-Key", "in": "header", "required": False,
                                            "schema": {"type": "string", "maxLength": 200}})
        example = examples.get(f"{e.method} {e.path}")
        if e.request_schema is not None:
            content = {media: dict(spec) for media, spec in e.request_schema.items()}
            operation["requestBody"] = {"required": True, "content": content}
        elif e.body is not None:
            content = {"application/json": {"schema": ref(e.body, "validation")}}
            operation["requestBody"] = {"required": True, "content": content}
        if example is not None and "requestBody" in operation:
            for spec in operation["requestBody"]["content"].values():
                spec["example"] = example
        success: dict[str, Any] = {"description": HTTPStatus(e.status).phrase}
        if e.response is not None:
            success["content"] = {"application/json": {"schema": ref(e.response, "serialization")}}
        responses: dict[str, Any] = {str(e.status): success}
        for code in error_codes(e):
            responses[str(code)] = _problem(code, error_meaning(e, code))
        operation["responses"] = responses
        paths.setdefault(path, {})[e.method.lower()] = operation

    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "The meiji HTTP API: diaries (日记本), reviews, Q&A, encyclopedia (百科), media, "
                                "search and moderation for a medical-aesthetics community. Every error is "
                                "`application/problem+json`; lists are `{items, next_cursor}`; creates take "
                                "`Idempotency-Key`; editable objects carry `ETag` and honour `If-Match`."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }
