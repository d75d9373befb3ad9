"""What a moderator needs beside a queue item to decide it: the target's history, the author's
active strikes, the moderators' notes and, for an appeal, what is appealed.

Batched for a whole page: four queries whatever its length (earlier items on the page's targets,
the authors' strikes, the notes, the appeals), so the queue stays a cheap read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from content.services import TargetInfo
from kernel.clock import now
from kernel.rows import Row
from moderation.models import Appeal, QueueItem, QueueNote, Strike
from moderation.services import audit
from moderation.services.strikes import STRIKE_WINDOW
from moderation.vocabulary import ItemKind

# Earlier decisions shown per target; the log has the rest.
HISTORY_SHOWN = 10


def note_json(note: QueueNote) -> dict[str, Any]:
    return {"id": str(note.id), "author_id": str(note.author_id), "body": note.body, "created_at": note.created_at}


async def gather(items: Sequence[QueueItem | Row], infos: Sequence[TargetInfo | None]) -> dict[int, dict[str, Any]]:
    """Per item id: ``history`` (earlier decided items on its target), ``author_strikes`` (the author's
    strikes within the window, active first), ``active_strikes``, ``notes`` and ``appeal``."""
    ids = [item.id for item in items]
    targets = {(item.target_type, item.target_id) for item in items}
    authors = sorted({info.author_id for info in infos if info is not None and info.author_id is not None})
    earlier: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    if targets:
        rows = await QueueItem.filter(target_id__in=sorted({t[1] for t in targets}), live_key__isnull=True,
                                      decision__isnull=False).order_by("-id").values(
            "id", "target_type", "target_id", "kind", "decision", "case_id", "resolved_at")
        for row in rows:
            key = (str(row["target_type"]), str(row["target_id"]))
            if key in targets and len(earlier[key]) < HISTORY_SHOWN:
                earlier[key].append({"item_id": str(row["id"]), "kind": row["kind"], "decision": row["decision"],
                                     "case_id": row["case_id"], "resolved_at": row["resolved_at"]})
    strikes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if authors:
        since = now() - STRIKE_WINDOW
        for s in await Strike.filter(account_id__in=authors, created_at__gte=since).order_by("-id"):
            strikes[s.account_id].append({"target": {"type": s.target_type, "id": s.target_id},
                                          "case_id": s.case_id, "created_at": s.created_at,
                                          "active": s.lifted_at is None, "lifted_at": s.lifted_at})
    notes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for note in await QueueNote.filter(item_id__in=ids).order_by("id") if ids else []:
        notes[note.item_id].append(note_json(note))
    appeal_ids = [item.id for item in items if item.kind == ItemKind.APPEAL]
    appeals = {a.item_id: a for a in await Appeal.filter(item_id__in=appeal_ids)} if appeal_ids else {}
    out: dict[int, dict[str, Any]] = {}
    for item, info in zip(items, infos, strict=True):
        mine = strikes.get(info.author_id, []) if info is not None and info.author_id is not None else []
        history = [h for h in earlier.get((item.target_type, item.target_id), []) if h["item_id"] != str(item.id)]
        appeal = appeals.get(item.id)
        out[item.id] = {
            "history": history,
            "author_strikes": sorted(mine, key=lambda s: not s["active"]),
            "active_strikes": sum(1 for s in mine if s["active"]),
            "notes": notes.get(item.id, []),
            "appeal": None if appeal is None else {
                "id": str(appeal.id), "appellant_id": str(appeal.appellant_id), "statement": appeal.statement,
                "status": appeal.status, "decision": appeal.decision_key,
                "decided_by": str(appeal.decided_by) if appeal.decided_by is not None else None},
        }
    return out


async def add_note(item: QueueItem, moderator_id: int, body: str) -> QueueNote:
    """A note for the other moderators on the item, resolved or not; logged like any act."""
    note = await QueueNote.create(item_id=item.id, author_id=moderator_id, body=body, created_at=now())
    await audit.record(audit.moderator(moderator_id), "noted", target_type=item.target_type,
                       target_id=item.target_id, case_id=item.case_id)
    return note
