"""Turn request bodies and query strings into typed objects, or a problem naming the field at fault."""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import Request

from kernel.web.ids import MAX_INT
from kernel.web.problems import Problem, invalid

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """A request body: unknown fields are refused (422 naming them), not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class StrictText(Strict):
    """A request body whose strings are trimmed (titles, bodies, names; never passwords)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

MAX_DEPTH = 32


def _location(loc: tuple[int | str, ...]) -> str:
    # pydantic adds the member of a union that refused the value (``str-enum[ReportReason]``,
    # ``literal['a']``): the client named only the field. No field name has a bracket.
    return ".".join(str(part) for part in loc if not (isinstance(part, str) and "[" in part)) or "body"


def validation_problem(exc: ValidationError, prefix: str = "") -> Problem:
    messages: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False, include_input=False):
        field = f"{prefix}{_location(tuple(error['loc']))}"
        # pydantic's messages for tagged unions and literal mismatches are clear enough to show; a
        # value every member of a union refused gets one entry, each member's message joined.
        messages.setdefault(field, []).append(str(error["msg"]))
    errors = [{"field": field, "message": "; or ".join(dict.fromkeys(said))} for field, said in messages.items()]
    fields = ", ".join(e["field"] for e in errors)
    return Problem(422, f"Invalid fields: {fields}.", errors=errors)


def _check(value: Any, path: str, depth: int) -> None:
    """Refuse what JSON allows but the service must not store."""
    if depth > MAX_DEPTH:
        raise Problem(422, "The body is nested too deeply.", errors=[{"field": path or "body",
                                                                      "message": "nested too deeply"}])
    if isinstance(value, str):
        if "\x00" in value:
            raise Problem(422, f"{path or 'body'}: NUL characters are not allowed.",
                          errors=[{"field": path or "body", "message": "NUL characters are not allowed"}])
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int | float):
        if abs(value) > MAX_INT:
            raise Problem(422, f"{path or 'body'}: number out of range.",
                          errors=[{"field": path or "body", "message": "number out of range"}])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check(item, f"{path}.{index}" if path else str(index), depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, path or "body", depth + 1)
            _check(item, f"{path}.{key}" if path else str(key), depth + 1)


def decode_json(raw: bytes) -> Any:
    """Parse JSON strictly: no NaN, no lone surrogates, no NUL, bounded depth and numbers."""
    if not raw.strip():
        raise Problem(400, "The request body is empty; a JSON object was expected.")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Problem(400, f"The body is not valid JSON: {exc.msg}.") from None
    _check(value, "", 0)
    return value


async def json_body(request: Request, model: type[M]) -> M:
    """The request's JSON body as ``model``; 415 for another content type, 400/422 for bad input."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise Problem(415, "Send the body as application/json.", headers={"Accept": "application/json"})
    value = decode_json(await request.body())
    return validate(model, value)


def validate(model: type[M], value: Any, prefix: str = "") -> M:
    try:
        parsed = model.model_validate(value)
    except ValidationError as exc:
        raise validation_problem(exc, prefix) from None
    _check_ints(parsed, prefix.rstrip("."))
    return parsed


def _check_ints(value: Any, path: str) -> None:
    """Refuse integers beyond 64 bits that pydantic read from strings ("99999999999999999999").

    JSON numbers are checked while decoding; query strings and numeric strings in bodies only
    become integers here, and no database column holds them.
    """
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > MAX_INT:
            raise invalid(path or "body", "number out of range")
    elif isinstance(value, BaseModel):
        for name, item in value.__dict__.items():  # the fields' values (pydantic keeps them there)
            if item is not None and not isinstance(item, str):  # most of a query: nothing to walk
                _check_ints(item, f"{path}.{name}" if path else name)
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            _check_ints(item, f"{path}.{index}" if path else str(index))
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_ints(item, f"{path}.{key}" if path else str(key))


def refuse_query(request: Request, known: Collection[str] = ()) -> None:
    """422 naming the first query parameter the route does not take (a typo must not be ignored)."""
    for key in request.query_params:
        if key not in known:
            raise invalid(key, "unknown query parameter")


def query_params(request: Request, model: type[M]) -> M:
    """The query string as ``model``; repeated keys become lists only where the model says so.

    Parameters the model does not name are refused, whatever the model's own ``extra`` setting.
    """
    refuse_query(request, model.model_fields)
    values: dict[str, Any] = {}
    for key in request.query_params:
        items = request.query_params.getlist(key)
        for item in items:
            if "\x00" in item:
                raise Problem(422, f"{key}: NUL characters are not allowed.",
                              errors=[{"field": key, "message": "NUL characters are not allowed"}])
        values[key] = items if key in _list_fields(model) else items[-1]
    return validate(model, values)


@functools.cache
def _list_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of a query model that take a repeated key as a list."""
    return frozenset(name for name, field in model.model_fields.items() if "list" in str(field.annotation))


def path_params(request: Request) -> Mapping[str, str]:
    return request.path_params
