"""A moderator acting without a report: hide, remove or restore a target, with a reason.

Logged like any decision (``decision_<action>`` and what it did, ``hidden``, ``removed`` or
``restored``); a removal here is a policy removal (410 ``{reason}`` for the public), strikes the
author like a removal on reports, and settles the target's pending reports. Content a legal case
holds removed is the case's to restore (409).
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from content.services import TargetInfo
from kernel.clock import now
from kernel.vocabulary import PostStatus
from kernel.web.problems import conflict, invalid, not_found
from moderation.interfaces import ModerationServices
from moderation.models import NoticeTarget, QueueItem, Report
from moderation.services import audit, notifications, queue, sanctions, strikes, targets
from moderation.vocabulary import ACCOUNT, Action, DirectAction, ItemKind, ItemStatus, ReportReason

# What each action needs the target to be in, and what it makes it.
_FROM: dict[DirectAction, frozenset[PostStatus]] = {
    DirectAction.HIDE: frozenset({PostStatus.PUBLISHED}),
    DirectAction.REMOVE: frozenset({PostStatus.PUBLISHED, PostStatus.HIDDEN}),
    DirectAction.RESTORE: frozenset({PostStatus.HIDDEN, PostStatus.REMOVED}),
}
_TO: dict[DirectAction, PostStatus] = {DirectAction.HIDE: PostStatus.HIDDEN, DirectAction.REMOVE: PostStatus.REMOVED,
                                       DirectAction.RESTORE: PostStatus.PUBLISHED}
_DONE: dict[DirectAction, str] = {DirectAction.HIDE: "hidden", DirectAction.REMOVE: "removed",
                                  DirectAction.RESTORE: "restored"}


async def legally_held(target_type: str, target_id: str) -> str | None:
    """The case holding the target removed on a legal notice, if any."""
    row = await NoticeTarget.filter(target_type=target_type, target_id=target_id, removed=True).first()
    return row.notice_id if row else None


async def act(services: ModerationServices, moderator_id: int, *, target_type: str, target_id: str,
              action: DirectAction, reason: ReportReason, note: str) -> dict[str, Any]:
    """Hide, remove or restore the target; 404 when there is none, 409 when its status does not allow
    the action or a legal case holds it, 403 on a staff account."""
    info = await targets.find(services, target_type, target_id)
    if info is None or info.status == PostStatus.DELETED:
        raise not_found("target")
    if info.type == ACCOUNT:
        if action == DirectAction.HIDE:
            raise invalid("action", "an account is removed (suspended, profile hidden) or restored, not hidden")
        await sanctions.members_only(services, int(info.id))
    if info.status not in _FROM[action]:
        raise conflict(f"The target is {info.status}: {action} acts on {' or '.join(sorted(_FROM[action]))} ones.")
    case_id = await legally_held(info.type, info.id)
    if case_id is not None:
        raise conflict(f"Case {case_id} holds this target removed on a legal notice: the case decides it.")
    actor = audit.moderator(moderator_id)
    why = f"{reason}: {note}" if note else str(reason)
    async with in_transaction():
        await audit.record(actor, f"decision_{action}", target_type=info.type, target_id=info.id, reason=why)
        await targets.set_status(services, info, _TO[action], reason=str(reason))
        entry = await audit.record(actor, _DONE[action], target_type=info.type, target_id=info.id, reason=why)
        await _tell(services, actor, info, action, reason, note)
        await settle(info, action)
    return {"target": {"type": info.type, "id": info.id, "status": _TO[action]}, "action": action,
            "reason": reason, "note": note, "log_id": str(entry.id), "at": entry.at}


async def _tell(services: ModerationServices, actor: audit.Actor, info: TargetInfo, action: DirectAction,
                reason: ReportReason, note: str) -> None:
    """The author hears of it; a removal is a strike (not for an account), a restoration lifts it."""
    summary = targets.summary(info)
    if action == DirectAction.HIDE:
        await notifications.send(info.author_id, "hidden", {"target": summary, "reason": reason, "status": "hidden"})
    elif action == DirectAction.REMOVE:
        await notifications.send(info.author_id, "removed", {"target": summary, "reason": reason,
                                                             "explanation": note})
        if info.author_id is not None and info.type != ACCOUNT:
            await strikes.strike(services, actor, info.author_id, target_type=info.type, target_id=info.id,
                                 case_id=None)
    else:
        if info.author_id is not None and info.type != ACCOUNT:
            await strikes.lift(services, actor, info.author_id, case_id=None, target=(info.type, info.id),
                               why=note or str(reason))
        await notifications.send(info.author_id, "restored", {"target": summary, "reason": note or str(reason)})


async def settle(info: TargetInfo, action: DirectAction) -> None:
    """Pending reports on the target: a removal upholds them, a restoration of a hidden target keeps
    it (reporters hear the outcome); a hide keeps the item open, marked hidden, for a decision."""
    item = await QueueItem.get_or_none(live_key=queue.live_key(info.type, info.id))
    if item is None or item.kind != ItemKind.REPORT:
        return
    if action == DirectAction.HIDE:
        await QueueItem.filter(id=item.id).update(hidden=True)
        return
    decision = Action.REMOVE if action == DirectAction.REMOVE else Action.KEEP
    if not await QueueItem.filter(id=item.id, live_key__isnull=False).update(
            status=ItemStatus.RESOLVED, live_key=None, decision=decision, resolved_at=now()):
        return
    outcome = "removed" if decision == Action.REMOVE else "kept"
    for report in await Report.filter(item_id=item.id, reporter_id__isnull=False):
        await notifications.send(report.reporter_id, "report_outcome",
                                 {"target": {"type": info.type, "id": info.id}, "outcome": outcome})
