"""Appeals (申诉): a member asks for another look at a decision against them.

What may be appealed: the hiding or removal of one's own post for a non-legal reason (reports, the
screener's flag, a moderator's own action), and one's suspension (a moderator's, strikes, or the
account's removal on reports). A removal on a legal notice is answered by a counter-notice (422).
One appeal per member and decision (409 for a second); it is queued as its own ``appeal`` item,
due after ``MEIJI_APPEAL_DUE_SECONDS``, and decided ``uphold`` or ``overturn`` by a moderator other
than the one who took the decision (409 for them). An overturn restores the content, lifts the
strike and the suspension it caused, and tells the member; an uphold tells them too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from content.services import TargetInfo
from kernel.clock import now
from kernel.vocabulary import PostStatus
from kernel.web.auth import Principal
from kernel.web.problems import Problem, conflict, not_found
from moderation.interfaces import ModerationServices
from moderation.models import Appeal, AuditEntry, QueueItem, Strike, Suspension
from moderation.services import actions, audit, notifications, strikes, suspensions, targets
from moderation.vocabulary import (
    ACCOUNT,
    Action,
    AppealStatus,
    DirectAction,
    ItemKind,
    ItemStatus,
    SuspensionCause,
)

# The log entries that are a decision against a post, as an appeal names it.
_DECISIONS = ("removed", "hidden", "auto_hidden")


def appeal_json(appeal: Appeal, due_at: Any = None) -> dict[str, Any]:
    return {"id": str(appeal.id), "target_type": appeal.target_type, "target_id": appeal.target_id,
            "statement": appeal.statement, "status": appeal.status, "created_at": appeal.created_at,
            "decided_at": appeal.decided_at, "due_at": due_at}


async def _post_decision(services: ModerationServices, member_id: int, target_type: str,
                         target_id: str) -> tuple[str, int | None, TargetInfo]:
    """(decision key, deciding moderator) of the hide or removal of the member's own post."""
    info = await targets.find(services, target_type, target_id)
    # Someone else's post, or none: the same 404, so an appeal tells nobody who wrote what.
    if info is None or info.status == PostStatus.DELETED or info.author_id != member_id:
        raise not_found("target")
    if info.status not in (PostStatus.HIDDEN, PostStatus.REMOVED):
        raise conflict(f"The target is {info.status}: there is no decision against it to appeal.")
    case_id = await actions.legally_held(info.type, info.id)
    if case_id is not None:
        path = f"/v1/notices/{case_id}/counter-notices"
        raise Problem(422, f"Removed on a legal notice (case {case_id}): answer it with a counter-notice at {path}, "
                           "not an appeal.",
                      errors=[{"field": "target_id", "message": f"removed on a legal notice: file a counter-notice "
                                                                f"at {path}"}])
    entry = await AuditEntry.filter(target_type=info.type, target_id=info.id, action__in=_DECISIONS,
                                    case_id__isnull=True).order_by("-id").first()
    if entry is None:
        return f"status:{info.type}:{info.id}:{info.status}", None, info
    return f"audit:{entry.id}", entry.actor_id if entry.actor_kind == "moderator" else None, info


async def _suspension_decision(member_id: int, target_id: str) -> tuple[str, int | None]:
    """(decision key, deciding moderator) of the member's own live suspension."""
    if target_id != str(member_id):
        raise not_found("target")
    row = await Suspension.filter(account_id=member_id, ended_at__isnull=True).order_by("-started_at", "-id").first()
    if row is None:
        raise conflict("This account is not suspended: there is no suspension to appeal.")
    decided_by = row.by_id
    if row.cause == SuspensionCause.ACCOUNT_REMOVED:
        entry = await AuditEntry.filter(target_type=ACCOUNT, target_id=target_id, action="removed").order_by(
            "-id").first()
        decided_by = entry.actor_id if entry is not None else None
    return f"suspension:{row.id}", decided_by


async def file(services: ModerationServices, member: Principal, *, target_type: str, target_id: str,
               statement: str) -> tuple[Appeal, Any]:
    """The member's appeal, queued; 409 for a second appeal of the same decision."""
    if target_type == ACCOUNT:
        key, decided_by = await _suspension_decision(member.id, target_id)
    else:
        key, decided_by, _ = await _post_decision(services, member.id, target_type, target_id)
    moment = now()
    due_at = moment + timedelta(seconds=services.settings.appeal_due_seconds)
    try:
        async with in_transaction():
            appeal = await Appeal.create(appellant_id=member.id, target_type=target_type, target_id=target_id,
                                         decision_key=key, decided_by=decided_by, statement=statement,
                                         status=AppealStatus.PENDING, created_at=moment)
            # Its own live item: an appeal never merges into the target's reports or cases.
            item = await QueueItem.create(target_type=target_type, target_id=target_id, live_key=f"appeal:{appeal.id}",
                                          kind=ItemKind.APPEAL, status=ItemStatus.OPEN, due_at=due_at,
                                          created_at=moment)
            await Appeal.filter(id=appeal.id).update(item_id=item.id)
            appeal.item_id = item.id
            await audit.record(audit.member(member.id), "appeal_filed", target_type=target_type,
                               target_id=target_id, reason=key)
    except IntegrityError:
        raise conflict("You already appealed this decision; a moderator decides it once.") from None
    return appeal, due_at


async def export(account_id: int) -> list[dict[str, Any]]:
    return [appeal_json(a) for a in await Appeal.filter(appellant_id=account_id).order_by("id")]


async def forget(account_id: int) -> None:
    """Account deletion: appeals keep their ids, decisions and times, never the member's own words."""
    await Appeal.filter(appellant_id=account_id).update(statement="")


async def of_item(item_id: int) -> Appeal | None:
    return await Appeal.get_or_none(item_id=item_id)


async def decide(services: ModerationServices, moderator_id: int, item: QueueItem, *, action: Action,
                 reason: str) -> QueueItem:
    """Uphold or overturn the appeal behind a claimed item; 409 for the moderator of the original decision."""
    appeal = await of_item(item.id)
    if appeal is None:
        raise conflict("The appeal of this item no longer exists.")
    if appeal.decided_by == moderator_id:
        raise conflict("You took the decision appealed: another moderator decides the appeal.")
    moment = now()
    actor = audit.moderator(moderator_id)
    overturn = action == Action.OVERTURN
    async with in_transaction():
        resolved = await QueueItem.filter(id=item.id, status=ItemStatus.CLAIMED, claimed_by=moderator_id,
                                          live_key__isnull=False).update(
            status=ItemStatus.RESOLVED, live_key=None, decision=action, resolved_at=moment)
        if not resolved:
            raise conflict("This item was decided or released meanwhile.")
        await Appeal.filter(id=appeal.id, status=AppealStatus.PENDING).update(
            status=AppealStatus.OVERTURNED if overturn else AppealStatus.UPHELD, decided_at=moment)
        await audit.record(actor, f"decision_{action}", target_type=appeal.target_type, target_id=appeal.target_id,
                           reason=reason)
        if overturn:
            await _undo(services, actor, appeal, reason)
        await audit.record(actor, "appeal_overturned" if overturn else "appeal_upheld",
                           target_type=appeal.target_type, target_id=appeal.target_id, reason=reason)
        await notifications.send(appeal.appellant_id, "appeal_decided", {
            "appeal_id": str(appeal.id), "target": {"type": appeal.target_type, "id": appeal.target_id},
            "outcome": AppealStatus.OVERTURNED if overturn else AppealStatus.UPHELD, "reason": reason})
    return await QueueItem.get(id=item.id)


async def _undo(services: ModerationServices, actor: audit.Actor, appeal: Appeal, reason: str) -> None:
    """Undo the decision appealed: the post back (its strike lifted), or the suspension ended."""
    if appeal.target_type == ACCOUNT:
        await _end_suspension(services, actor, appeal, reason)
        return
    info = await targets.find(services, appeal.target_type, appeal.target_id)
    if info is None or info.status not in (PostStatus.HIDDEN, PostStatus.REMOVED):
        return  # deleted by its author, or restored meanwhile
    if await actions.legally_held(info.type, info.id) is not None:
        raise conflict("A legal case now holds this post removed: its counter-notice route decides it.")
    await targets.set_status(services, info, PostStatus.PUBLISHED)
    await audit.record(actor, "restored", target_type=info.type, target_id=info.id, reason=reason)
    if info.author_id is not None:
        # The strike goes, and with it a suspension that the strikes caused once fewer than three remain.
        await strikes.lift(services, actor, info.author_id, case_id=None, target=(info.type, info.id), why=reason)
    await actions.settle(info, DirectAction.RESTORE)


async def _end_suspension(services: ModerationServices, actor: audit.Actor, appeal: Appeal, reason: str) -> None:
    kind, _, key = appeal.decision_key.partition(":")
    row = await Suspension.get_or_none(id=int(key)) if kind == "suspension" and key.isdigit() else None
    if row is None or row.ended_at is not None:
        return  # it ended meanwhile
    account_id = row.account_id
    if row.cause == SuspensionCause.STRIKES:
        # The strikes behind it stop counting, as on a moderator's reinstatement.
        await Strike.filter(account_id=account_id, lifted_at__isnull=True).update(lifted_at=now())
        await audit.record(actor, "strike_lifted", target_type=ACCOUNT, target_id=str(account_id), reason=reason)
    active = await suspensions.end(services, account_id, (SuspensionCause(row.cause),), reason)
    await audit.record(actor, "suspension_ended", target_type=ACCOUNT, target_id=str(account_id), reason=reason)
    if active:
        await notifications.send(account_id, "reinstated", {"cause": "appeal"})
