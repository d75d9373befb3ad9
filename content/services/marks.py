"""What a signed-in reader did to each post of a page: liked, favourited, followed, in one statement.

A page of diaries asked three questions of three tables (``content_like``, ``content_favourite``,
``content_follow``), one statement each; they are asked together here (``UNION ALL`` of three
index lookups), one round trip for the page. The public has done nothing: no statement at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from content.schemas.favourites import FAVOURITE_TARGETS
from content.schemas.follows import FOLLOW_TARGETS
from content.schemas.likes import LIKE_TARGETS
from kernel import db
from kernel.web.auth import Principal

# (mark, table): the tables are keyed by member, target type and target id.
_TABLES = (("liked", "content_like"), ("favorited", "content_favourite"), ("followed", "content_follow"))
_KINDS = {"liked": frozenset(LIKE_TARGETS), "favorited": frozenset(FAVOURITE_TARGETS),
          "followed": frozenset(FOLLOW_TARGETS)}


@dataclass(frozen=True)
class Marks:
    """The keys among a page's that the reader liked, favourited and follows."""

    liked: frozenset[str] = field(default_factory=frozenset)
    favorited: frozenset[str] = field(default_factory=frozenset)
    followed: frozenset[str] = field(default_factory=frozenset)

    def of(self, key: str) -> dict[str, bool]:
        """``liked``, ``favorited`` and ``followed`` of one post, as the serializers show them."""
        return {"liked": key in self.liked, "favorited": key in self.favorited, "followed": key in self.followed}


NONE = Marks()


async def marks(viewer: Principal | None, target_type: str, keys: Sequence[str]) -> Marks:
    """The reader's marks on ``keys`` of ``target_type`` (those the type can have); none for the public."""
    if viewer is None or not keys:
        return NONE
    keys = list(dict.fromkeys(keys))
    marks_asked = [(mark, table) for mark, table in _TABLES if target_type in _KINDS[mark]]
    if not marks_asked:
        return NONE
    inside = ", ".join("?" * len(keys))
    sql = " UNION ALL ".join(f"SELECT '{mark}', target_id FROM {table} "  # noqa: S608 - names are constants, values are parameters
                             f"WHERE member_id = ? AND target_type = ? AND target_id IN ({inside})"
                             for mark, table in marks_asked)
    params: list[object] = []
    for _ in marks_asked:
        params.extend([viewer.id, target_type, *keys])
    _, rows = await db.connection().execute_query(db.placeholders(sql), params)
    found: dict[str, set[str]] = {"liked": set(), "favorited": set(), "followed": set()}
    for mark, key in rows:
        found[mark].add(str(key))
    return Marks(frozenset(found["liked"]), frozenset(found["favorited"]), frozenset(found["followed"]))
