"""Read-only rows for lists, without Tortoise's per-row model construction.

Building 21 model instances costs ~4 ms (datetime parsing dominates); the same rows as plain objects
cost ~0.4 ms. The query is still built by Tortoise (filters, ordering, dialect), only the result
decoding is ours. Rows have the model's field names as attributes; they cannot be saved.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import orjson
from tortoise import fields
from tortoise.models import Model
from tortoise.queryset import QuerySet

Convert = Callable[[Any], Any]


def _datetime(value: Any) -> Any:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _bool(value: Any) -> Any:
    return bool(value) if value is not None else None


_plans: dict[type[Model], dict[str, tuple[str, Convert | None]]] = {}


def _plan(model: type[Model]) -> dict[str, tuple[str, Convert | None]]:
    """Column → (attribute, converter) for a model, computed once."""
    plan = _plans.get(model)
    if plan is None:
        plan = {}
        for name, column in model._meta.fields_db_projection.items():
            field = model._meta.fields_map[name]
            convert: Convert | None = None
            if isinstance(field, fields.DatetimeField):
                convert = _datetime
            elif isinstance(field, fields.DateField):
                convert = _date
            elif isinstance(field, fields.JSONField):
                convert = _json
            elif isinstance(field, fields.BooleanField):
                convert = _bool
            plan[column] = (name, convert)
        _plans[model] = plan
    return plan


async def fetch(qs: QuerySet[Any]) -> list[Any]:
    """The rows of ``qs`` as read-only objects with the model's attributes."""
    qs._choose_db_if_not_chosen()
    qs._make_query()
    sql, params = qs.query.get_parameterized_sql()
    assert qs._db is not None
    # Records (sqlite3.Row, asyncpg.Record) read as sequences: turning each into a dict first, as
    # execute_query_dict does, costs as much as the query itself.
    _, raw = await qs._db.execute_query(sql, params)
    if not raw:
        return []
    # Every record has the same columns: resolve names and converters once per result.
    plan = _plan(qs.model)
    columns = [plan.get(column, (column, None)) for column in raw[0].keys()]
    names = [name for name, _ in columns]
    converted = [(name, convert) for name, convert in columns if convert is not None]
    out = []
    for record in raw:
        values = dict(zip(names, record, strict=True))
        for name, convert in converted:
            value = values[name]
            if value is not None:
                values[name] = convert(value)
        out.append(SimpleNamespace(**values))
    return out
