"""Read-only rows for lists and serializers of every room, without Tortoise's per-row model construction.

Building 21 model instances costs ~4 ms (datetime parsing dominates); the same rows as plain objects
cost ~0.1 ms. The query is still built by Tortoise (filters, ordering, dialect), only the result
decoding is ours. Rows have the model's field names as attributes; they cannot be saved.

Compiling a query to SQL costs more than running it on SQLite (~0.14 ms for a diary page), so the
SQL text is kept per query *shape*: the same model, orderings and filter names with values of the
same types, on the same dialect. Only shapes of the kind shown to compile the same way whatever the
values are cached: plain filters with the lookups of ``CACHED_LOOKUPS`` over plain values, orderings,
limit and offset. Even then a shape is cached only after Tortoise's own compilation gave exactly
the parameters read from the filters, compared by type as well as value (``True == 1`` and
``Decimal("1") == 1`` in Python, but not in SQL). Any other query (expressions, joins, annotations,
text lookups whose values Tortoise rewrites) is compiled every time.

This reads private attributes of Tortoise's ``QuerySet`` and ``Q``: ``pyproject.toml`` pins
tortoise-orm to the minor version this was written against, and ``tests/meiji/test_rows.py``
compares every cached shape with Tortoise's own answer on SQLite and PostgreSQL.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

import orjson
from tortoise import fields
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from kernel import db

Convert = Callable[[Any], Any]


def as_datetime(value: Any) -> Any:
    """A datetime column's value as an aware datetime, from SQLite's text or PostgreSQL's value
    (Tortoise's own ``to_python_value`` parses text with the pure-Python iso8601: ten times slower)."""
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


class Row:
    """A read-only row: the model's field names as attributes, and none of its methods.

    Each set of columns gets its own class, a ``collections.namedtuple`` with this one mixed in, so
    a row is a tuple whose attributes are read by index: building one costs half of filling an
    object's dict, and nothing can be set on it (a column named like a tuple method, ``count``,
    reads as the column). The write methods are declared ``None`` so that mypy rejects
    ``row.save()`` (and Python raises ``TypeError`` if it runs anyway).
    """

    __slots__ = ()
    save: None = None
    delete: None = None
    update_from_dict: None = None
    refresh_from_db: None = None
    fetch_related: None = None

    def __getattr__(self, name: str) -> Any:  # the model's columns, typed loosely like a model's
        raise AttributeError(name)


@functools.cache
def _row_class(names: tuple[str, ...]) -> Callable[[Iterable[Any]], Row]:
    """The class of rows with these attributes, made once per set of columns; returns its maker."""
    fields_ = collections.namedtuple("Row", names)  # type: ignore[misc]  # names known at run time
    kind: Any = type("Row", (fields_, Row), {"__slots__": ()})
    return cast(Callable[[Iterable[Any]], Row], kind._make)


def row(**values: Any) -> Row:
    """A row built by hand, for code that wrote it and hands it on as if read (``row(id=1, kind=...)``)."""
    return _row_class(tuple(values))(values.values())


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
                convert = as_datetime
            elif isinstance(field, fields.DateField):
                convert = _date
            elif isinstance(field, fields.JSONField):
                convert = _json
            elif isinstance(field, fields.BooleanField):
                convert = _bool
            plan[column] = (name, convert)
        _plans[model] = plan
    return plan


# --- compiled SQL per query shape ------------------------------------------------------------

_PLAIN: frozenset[type] = frozenset({str, int, float, bool, Decimal, date, datetime, type(None)})
# Lookups whose values Tortoise passes to the database unchanged (``icontains`` and its kin wrap
# them in ``%``, ``isnull`` turns into SQL without a parameter).
CACHED_LOOKUPS: frozenset[str] = frozenset({"", "in", "not_in", "not", "gt", "gte", "lt", "lte"})
NULL_LOOKUPS: frozenset[str] = frozenset({"isnull", "not_isnull"})
# Every lookup Tortoise knows (tortoise/filters.py): a last part of a filter name that is none of
# them names a field through a relation.
LOOKUPS: frozenset[str] = frozenset({
    "not", "in", "not_in", "isnull", "not_isnull", "contains", "contained_by", "filter", "overlap", "len",
    "gte", "lte", "gt", "lt", "range", "startswith", "search", "endswith", "iexact", "icontains", "istartswith",
    "iendswith", "posix_regex", "iposix_regex", "year", "quarter", "month", "week", "day", "hour", "minute",
    "second", "microsecond"})
_UNCACHEABLE = ""
MAX_SHAPES = 512
_compiled: dict[Hashable, str] = {}


def _walk(q: Q, parts: list[Hashable], params: list[Any]) -> bool:
    """Append ``q``'s shape and values; False when a value is not a plain one."""
    parts.append((q.join_type, q._is_negated, len(q.children), len(q.filters)))
    filters: dict[str, Any] = q.filters  # the values as given to filter()
    for name, value in filters.items():
        lookup = _lookup(name)
        if lookup in NULL_LOOKUPS and type(value) is bool:
            parts.append((name, value))  # IS NULL or IS NOT NULL, written in the SQL, no parameter
            continue
        if lookup not in CACHED_LOOKUPS:
            return False
        if type(value) in (list, tuple):
            if not all(type(v) in _PLAIN and v is not None for v in value):
                return False
            parts.append((name, "seq", len(value)))
            params.extend(value)
        elif type(value) in _PLAIN:
            parts.append((name, type(value)))
            if value is not None:
                params.append(value)
        else:
            return False  # an expression, a model instance, an enum: its SQL may depend on it
    return all(_walk(child, parts, params) for child in q.children)


def _lookup(name: str) -> str:
    """The lookup of a filter name: ``"gte"`` for ``created_at__gte``, ``""`` for a plain field or a
    related one (``diary__status``: equality through a join)."""
    _, _, last = name.rpartition("__")
    return last if "__" in name and last in LOOKUPS else ""


def _same_params(given: list[Any], read: list[Any]) -> bool:
    """Whether Tortoise passed the filter values through unchanged: same types, same values, same order."""
    return len(given) == len(read) and all(type(a) is type(b) and a == b for a, b in zip(given, read, strict=True))


def _shape(qs: QuerySet[Any]) -> tuple[Hashable, list[Any]] | None:
    """The shape of a plain filtered, ordered, limited query and its values; None for anything else."""
    try:
        if (qs._annotations or qs._having or qs._custom_filters or qs._group_bys or qs._prefetch_map
                or qs._prefetch_queries or qs._select_related or qs._distinct or qs._select_for_update
                or qs._force_indexes or qs._use_indexes or qs._filter_kwargs or qs._db is None):
            return None
        parts: list[Hashable] = []
        params: list[Any] = []
        if not all(_walk(q, parts, params) for q in qs._q_objects):
            return None
        params += [value for value in (qs._limit, qs._offset) if value is not None]
        key = (qs.model, qs._db.connection_name, qs._db.capabilities.dialect, tuple(qs._orderings),
               qs._limit is None, qs._offset is None, tuple(qs._fields_for_select), tuple(parts))
        hash(key)
    except (AttributeError, TypeError):  # a Tortoise that keeps its state otherwise: compile every time
        return None
    return key, params


def _sql(qs: QuerySet[Any]) -> tuple[str, list[Any]]:
    """The SQL and parameters of ``qs``, from the shape's cached text when it has one."""
    qs._choose_db_if_not_chosen()
    shape = _shape(qs)
    if shape is not None:
        sql = _compiled.get(shape[0])
        if sql:
            return sql, shape[1]
    qs._make_query()
    sql, params = qs.query.get_parameterized_sql()
    if shape is not None and shape[0] not in _compiled and len(_compiled) < MAX_SHAPES:
        _compiled[shape[0]] = sql if _same_params(list(params), shape[1]) else _UNCACHEABLE
    return sql, params


async def fetch(qs: QuerySet[Any]) -> list[Row]:
    """The rows of ``qs`` as read-only objects with the model's attributes."""
    sql, params = _sql(qs)
    assert qs._db is not None
    # Records (sqlite3.Row, asyncpg.Record) read as sequences: turning each into a dict first, as
    # execute_query_dict does, costs as much as the query itself.
    _, raw = await qs._db.execute_query(sql, params)
    return decode(qs.model, raw)


async def fetch_sql(model: type[Model], sql: str, params: list[Any]) -> list[Row]:
    """The rows of a statement written by hand over ``model``'s table (``?`` placeholders on every
    database), decoded as ``fetch`` decodes them; a column the model does not have keeps its name."""
    return decode(model, await fetch_sql_records(sql, params))


async def fetch_sql_records(sql: str, params: list[Any]) -> list[Any]:
    """The records of a statement written by hand as the driver returns them, not decoded (``decode``
    does that): each iterates over its column values, for a cache keyed by what a row holds."""
    _, raw = await db.connection().execute_query(db.placeholders(sql), params)
    return list(raw)


async def fetch_by_id(model: type[Model], key: int) -> Row | None:
    """The row of ``model`` whose id is ``key``, or None: one statement written once per model, where
    a QuerySet would be built, shaped and looked up on every call (twice the time)."""
    rows = await fetch_sql(model, _by_id(model), [key])
    return rows[0] if rows else None


@functools.cache
def _by_id(model: type[Model]) -> str:
    return f'SELECT {columns(model)} FROM "{model._meta.db_table}" WHERE "id" = ? LIMIT 1'  # noqa: S608 - names come from the model


def decode(model: type[Model], raw: Sequence[Any]) -> list[Row]:
    """Rows of ``model`` from records as the driver returns them (``fetch_sql_records``)."""
    if not raw:
        return []
    # Every record has the same columns: resolve names and converters once per result.
    plan = _plan(model)
    columns = [plan.get(column, (column, None)) for column in raw[0].keys()]
    names = [name for name, _ in columns]
    converted = [(index, convert) for index, (_, convert) in enumerate(columns) if convert is not None]
    make = _row_class(tuple(names))
    out: list[Row] = []
    for record in raw:
        values = list(record)
        for index, convert in converted:
            value = values[index]
            if value is not None:
                values[index] = convert(value)
        out.append(make(values))
    return out


def columns(model: type[Model]) -> str:
    """The quoted columns of ``model``'s table, for statements written by hand that ``fetch_sql`` decodes."""
    return ", ".join(f'"{column}"' for column in model._meta.fields_db_projection.values())
