"""Object ids as clients send them: one parser for paths, bodies, query strings and cursors.

Ids are opaque strings holding positive integers. Every id column is a 32-bit serial (Tortoise's
``IntField``), so a number beyond ``MAX_ID`` names nothing: it is answered like any unknown id, and
never reaches the database, where PostgreSQL would refuse it as out of range (a 500).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from kernel.web.problems import not_found

MAX_ID = 2**31 - 1
# The longest integer a request may carry anywhere (counts, prices, revision numbers...).
MAX_INT = 2**63 - 1


def parse_id(value: object) -> int | None:
    """The id in ``value`` (an int, or a string of ASCII digits), or None when it cannot name an object.

    ``str.isdigit`` is not enough: it accepts ``²`` and ``١``, which ``int`` refuses or reads.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value <= MAX_ID else None
    if isinstance(value, str) and 0 < len(value) <= 10 and value.isascii() and value.isdigit():
        number = int(value)
        return number if 0 < number <= MAX_ID else None
    return None


def id_or_404(value: object, what: str = "resource") -> int:
    """The id in ``value``, or the 404 an unknown id gets."""
    key = parse_id(value)
    if key is None:
        raise not_found(what)
    return key


def check_path(params: Mapping[str, Any]) -> None:
    """404 for a path value made of digits that cannot be an id (``²``, 20 digits).

    A path segment of digits is only ever an id here (slugs, media and case ids hold letters), so
    refusing it before the handler runs fixes every route at once.
    """
    for value in params.values():
        if isinstance(value, str) and value.isdigit() and parse_id(value) is None:
            raise not_found()


# A request field taking an id as a JSON number (revision numbers, filters): 422 naming it otherwise.
IdNumber = Annotated[int, Field(ge=1, le=MAX_ID)]
