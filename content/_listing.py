"""Keyset pages for every content list: the cursor holds the sort key and the id, nothing else."""

from __future__ import annotations

from typing import Any, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from kernel.rows import fetch
from kernel.web.pagination import PageQuery, Scalar, decode_cursor

M = TypeVar("M", bound=Model)


async def keyset(qs: QuerySet[M], query: PageQuery, key: str | None = None, kind: type = int,
                 descending: bool = True) -> tuple[list[Any], list[Scalar] | None]:
    """One page ordered by (``key``, id), newest or largest first unless ``descending`` is False.

    Returns the rows (read-only, see ``kernel.rows``) and the values of the next cursor (None at the
    end); stable under inserts.
    """
    op = "lt" if descending else "gt"
    sign = "-" if descending else ""
    shape: tuple[type, ...] = (int,) if key is None else (kind, int)
    values = decode_cursor(query.cursor, shape)
    if values is not None:
        if key is None:
            qs = qs.filter(**{f"id__{op}": values[0]})
        else:
            qs = qs.filter(Q(**{f"{key}__{op}": values[0]}) | Q(**{key: values[0], f"id__{op}": values[1]}))
    order = [f"{sign}id"] if key is None else [f"{sign}{key}", f"{sign}id"]
    rows = await fetch(qs.order_by(*order).limit(query.limit + 1))
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[: query.limit]
    last: Any = rows[-1]
    return rows, ([last.id] if key is None else [_scalar(getattr(last, key)), last.id])


def _scalar(value: Any) -> Scalar:
    if isinstance(value, str | int | float) or value is None:
        return value
    return str(value)  # dates travel as ISO strings
