"""The append-only audit log: every report, decision, state change, strike, suspension and reveal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kernel.clock import now
from kernel.web.pagination import page, page_by
from moderation.models import AuditEntry
from moderation.vocabulary import ActorKind


@dataclass(frozen=True, kw_only=True)
class Actor:
    """Who acted: a member or moderator by id, the system, or a claimant (no account)."""

    kind: ActorKind
    id: int | None = None


SYSTEM = Actor(kind=ActorKind.SYSTEM)
CLAIMANT = Actor(kind=ActorKind.CLAIMANT)


def member(account_id: int) -> Actor:
    return Actor(kind=ActorKind.MEMBER, id=account_id)


def moderator(account_id: int) -> Actor:
    return Actor(kind=ActorKind.MODERATOR, id=account_id)


async def record(actor: Actor, action: str, *, target_type: str | None = None, target_id: str | None = None,
                 case_id: str | None = None, reason: str = "") -> AuditEntry:
    """Append one entry; nothing ever updates or deletes it (a trigger refuses both)."""
    return await AuditEntry.create(at=now(), actor_id=actor.id, actor_kind=actor.kind, action=action,
                                   target_type=target_type, target_id=target_id, case_id=case_id,
                                   reason=reason[:2000])


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": str(entry.id),
        "at": entry.at,
        "actor": {"kind": entry.actor_kind, "id": str(entry.actor_id) if entry.actor_id is not None else None},
        "action": entry.action,
        "target": ({"type": entry.target_type, "id": entry.target_id} if entry.target_type else None),
        "case_id": entry.case_id,
        "reason": entry.reason,
    }


async def entries(*, target_type: str | None, target_id: str | None, actor_id: int | None,
                  case_id: str | None, action: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
    """The log, newest first, filtered."""
    query = AuditEntry.all()
    if target_type:
        query = query.filter(target_type=target_type)
    if target_id:
        query = query.filter(target_id=target_id)
    if actor_id is not None:
        query = query.filter(actor_id=actor_id)
    if case_id:
        query = query.filter(case_id=case_id)
    if action:
        query = query.filter(action=action)
    rows, after = await page_by(query, limit, cursor)
    return page([entry_json(e) for e in rows], after)
