"""Opaque, stable cursors: the sort key and id of the last item seen, never anything else."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, Field
from tortoise.models import Model
from tortoise.queryset import QuerySet

from kernel.web.problems import invalid

Scalar = str | int | float | None
# The range of the integer columns lists sort by (Tortoise's 32-bit IntField).
CURSOR_INT_MIN, CURSOR_INT_MAX = -(2**31), 2**31 - 1
Item = TypeVar("Item")
M = TypeVar("M", bound=Model)


class PageQuery(BaseModel):
    """``limit`` (1-100, default 20) and ``cursor``; list queries extend it."""

    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=512)


class Page(BaseModel, Generic[Item]):
    """The list envelope, as OpenAPI shows it: ``Page[DiaryOut]``."""

    items: list[Item]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null at the end")


def encode_cursor(values: Sequence[Scalar]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(values))).decode().rstrip("=")


def decode_cursor(cursor: str | None, shape: Sequence[type]) -> list[Any] | None:
    """The values a cursor carries, checked against ``shape``; 422 on the field ``cursor`` if forged.

    A cursor is only ever made by ``encode_cursor`` from a row's sort key and id, so anything else
    is refused here, before it reaches a query: ``null``, booleans, integers beyond a 32-bit column
    (every id, counter and offset a list sorts by is one; PostgreSQL would fail on more), and
    strings or floats where the shape has none.
    """
    if cursor is None:
        return None
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise forged_cursor() from None
    if not isinstance(values, list) or len(values) != len(shape):
        raise forged_cursor()
    for value, kind in zip(values, shape, strict=True):
        if value is None or isinstance(value, bool):
            raise forged_cursor()
        if kind is float and isinstance(value, int):
            continue  # 3.0 is written as 3
        if not isinstance(value, kind):
            raise forged_cursor()
        if isinstance(value, int) and not CURSOR_INT_MIN <= value <= CURSOR_INT_MAX:
            raise forged_cursor()
    return values


def forged_cursor() -> Exception:
    """422 on ``cursor``: what a client sent as a cursor is none this service gave out."""
    return invalid("cursor", "not a cursor this service gave out")


def page(items: list[Any], next_values: Sequence[Scalar] | None) -> dict[str, Any]:
    """The list envelope: ``{items, next_cursor}``."""
    return {"items": items, "next_cursor": encode_cursor(next_values) if next_values is not None else None}


async def page_by(qs: QuerySet[M], limit: int, cursor: str | None, *, field: str = "id",
                  descending: bool = True) -> tuple[list[M], list[Scalar] | None]:
    """One page of ``qs`` ordered by one unique integer ``field``; the cursor carries its last value.

    Returns the rows and the values of the next cursor (None at the end); stable under inserts.
    """
    after = decode_cursor(cursor, (int,))
    if after is not None:
        qs = qs.filter(**{f"{field}__{'lt' if descending else 'gt'}": after[0]})
    rows = await qs.order_by(f"-{field}" if descending else field).limit(limit + 1)
    if len(rows) <= limit:
        return list(rows), None
    rows = rows[:limit]
    return list(rows), [getattr(rows[-1], field)]
