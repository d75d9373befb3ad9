"""A moderator's decision on a claimed queue item, and what it does to the target and the case."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

from tortoise.transactions import in_transaction

from content.services import TargetInfo
from kernel.clock import now
from kernel.settings import Settings
from kernel.vocabulary import STAFF, PostStatus
from kernel.web.problems import Problem, conflict, invalid
from moderation.interfaces import AccountControl, ModerationServices
from moderation.models import CounterNotice, Notice, NoticeTarget, QueueItem, Report
from moderation.services import actions, appeals, audit, cases, notices, notifications, queue, strikes, targets
from moderation.services import calendar as legal
from moderation.services.cases import Event
from moderation.vocabulary import (
    ACCOUNT,
    ACTIONS,
    Action,
    CaseState,
    CounterOutcome,
    CounterStatus,
    ItemKind,
    ItemStatus,
)

# What a reporter hears of a decision on what they reported.
OUTCOMES: dict[Action, str] = {Action.REMOVE: "removed", Action.KEEP: "kept", Action.RESTORE: "restored"}


async def decide(services: ModerationServices, moderator_id: int, raw_id: str, *, action: Action,
                 reason: str, only: Sequence[tuple[str, str]] | None = None) -> QueueItem:
    """Apply ``action`` to the item the moderator holds; 409 without a live claim, on a resolved item,
    or for a transition the case does not allow. All of it commits together or not at all."""
    item = await queue.get_item(raw_id)
    moment = now()
    if item.status == ItemStatus.RESOLVED:
        raise conflict("This item is already resolved.")
    if item.claimed_by != moderator_id or item.claimed_until is None or item.claimed_until < moment:
        raise conflict("Claim this item before deciding it.")
    if action not in ACTIONS.get(item.kind, frozenset()):
        raise conflict(f"A {item.kind} item does not take the action {action}.")
    if item.kind == ItemKind.APPEAL:
        return await appeals.decide(services, moderator_id, item, action=action, reason=reason)
    if only is not None:
        await _chosen_targets(item, action, only)
    if item.target_type == ACCOUNT and action == Action.REMOVE:
        await _members_only(services, item.target_id)
    actor = audit.moderator(moderator_id)
    async with in_transaction():
        # The conditional UPDATE is the lock: a second decision on the same item finds nothing to resolve.
        resolved = await QueueItem.filter(id=item.id, status=ItemStatus.CLAIMED, claimed_by=moderator_id,
                                          live_key__isnull=False).update(
            status=ItemStatus.RESOLVED, live_key=None, decision=action, resolved_at=moment)
        if not resolved:
            raise conflict("This item was decided or released meanwhile.")
        info = await targets.find(services, item.target_type, item.target_id)
        notice = await Notice.get_or_none(id=item.case_id) if item.case_id else None
        await audit.record(actor, f"decision_{action}", target_type=item.target_type, target_id=item.target_id,
                           case_id=item.case_id, reason=reason)
        if item.kind != ItemKind.REPORT and notice is None:
            raise conflict("The case of this item no longer exists.")
        if info is not None and info.status == PostStatus.DELETED:
            info = None  # deleted by its author: nothing left to act on
        if notice is not None and item.kind != ItemKind.REPORT:
            await _on_case(services, actor, item, notice, info, action, reason, only=only)
            touched = await NoticeTarget.filter(notice_id=notice.id).values_list("target_type", "target_id")
        else:
            await _on_reports(services, actor, item, info, action, reason)
            touched = [(item.target_type, item.target_id)]
        for target_type, target_id in {(str(t), str(i)) for t, i in touched}:
            await notices.requeue_waiting(services.settings, target_type, target_id)
    return await QueueItem.get(id=item.id)


async def _chosen_targets(item: QueueItem, action: Action, only: Sequence[tuple[str, str]]) -> None:
    """``targets`` on a decision: only with ``remove`` on a notice, and each one of the notice's."""
    if item.kind != ItemKind.NOTICE or action != Action.REMOVE or item.case_id is None:
        raise invalid("targets", "targets are chosen only when removing on a notice")
    named = {(str(t), str(i)) for t, i in await NoticeTarget.filter(notice_id=item.case_id).values_list(
        "target_type", "target_id")}
    for index, pair in enumerate(only):
        if pair not in named:
            raise invalid(f"targets.{index}", "not a target of this notice")


async def _members_only(services: ModerationServices, account_id: str) -> None:
    """Moderators act on members only: staff accounts answer to admins, through their role."""
    accounts: AccountControl = services.accounts
    role = await accounts.role_of(int(account_id)) if account_id.isascii() and account_id.isdigit() else None
    if role in STAFF:
        raise Problem(403, "Moderators act on members only: a moderator's or admin's account is not removed on "
                           "reports; an admin changes its role first.")


async def _on_reports(services: ModerationServices, actor: audit.Actor, item: QueueItem, info: TargetInfo | None,
                      action: Action,
                      reason: str) -> None:
    if info is None:
        if action == Action.KEEP:
            return
        raise conflict("The target no longer exists or was deleted; decide keep to resolve the item.")
    reasons = Counter(await Report.filter(item_id=item.id).values_list("reason", flat=True))
    public_reason = str(reasons.most_common(1)[0][0]) if reasons else "moderation"
    if action == Action.REMOVE:
        if info.status == PostStatus.REMOVED:
            raise conflict("The target is already removed.")
        await targets.set_status(services, info, PostStatus.REMOVED, reason=public_reason)
        await audit.record(actor, "removed", target_type=info.type, target_id=info.id, reason=reason)
        if info.author_id is not None:
            await notifications.send(info.author_id, "removed", {"target": targets.summary(info),
                                                                 "reason": public_reason, "explanation": reason})
            if info.type != ACCOUNT:
                await strikes.strike(services, actor, info.author_id, target_type=info.type, target_id=info.id,
                                     case_id=None)
    elif action == Action.KEEP:
        if info.status == PostStatus.HIDDEN:
            await targets.set_status(services, info, PostStatus.PUBLISHED)
            await audit.record(actor, "unhidden", target_type=info.type, target_id=info.id, reason=reason)
            await notifications.send(info.author_id, "kept", {"target": targets.summary(info)})
    elif action == Action.RESTORE:
        if info.status != PostStatus.REMOVED:
            raise conflict(f"The target is {info.status}, not removed.")
        case_id = await actions.legally_held(info.type, info.id)
        if case_id is not None:
            raise conflict(f"Case {case_id} holds this target removed on a legal notice: the case decides it.")
        await targets.set_status(services, info, PostStatus.PUBLISHED)
        await audit.record(actor, "restored", target_type=info.type, target_id=info.id, reason=reason)
        if info.author_id is not None:
            await strikes.lift(services, actor, info.author_id, case_id=None, target=(info.type, info.id), why=reason)
        await notifications.send(info.author_id, "restored", {"target": targets.summary(info), "reason": reason})
    # Reporters hear the outcome, never who else reported or who decided.
    outcome = OUTCOMES[action]
    for report in await Report.filter(item_id=item.id, reporter_id__isnull=False):
        await notifications.send(report.reporter_id, "report_outcome",
                                 {"target": {"type": item.target_type, "id": item.target_id}, "outcome": outcome})


async def _on_case(services: ModerationServices, actor: audit.Actor, item: QueueItem, notice: Notice,
                   info: TargetInfo | None,
                   action: Action, reason: str, *, only: Sequence[tuple[str, str]] | None = None) -> None:
    settings: Settings = services.settings
    case_id = notice.id
    if action == Action.REMOVE:
        await notices.take_measures(services, notice, actor=actor, reason=reason, item_id=item.id, only=only)
    elif action == Action.REQUEST_INFO:
        if not await cases.move(case_id, Event.REQUEST_INFO):
            raise conflict(f"The case is {notice.status}: information is requested on a received notice.")
        await notices.event(case_id, "info_requested", reason)
        await notices.settle_items(services.settings, case_id, Action.REQUEST_INFO, keep=item.id)
        await audit.record(actor, "info_requested", case_id=case_id, reason=reason)
        await _carry_reports(settings, item)
    elif action == Action.REJECT_NOTICE:
        if not await cases.move(case_id, Event.REJECT_NOTICE):
            raise conflict(f"The case is {notice.status}: only a notice under review can be rejected.")
        await notices.event(case_id, "rejected", reason)
        await notices.settle_items(services.settings, case_id, Action.REJECT_NOTICE, keep=item.id)
        await audit.record(actor, "notice_rejected", case_id=case_id, reason=reason)
        # The content stays up: unhide it if reports had hidden it meanwhile.
        if info is not None and info.status == PostStatus.HIDDEN:
            await targets.set_status(services, info, PostStatus.PUBLISHED)
            await audit.record(actor, "unhidden", target_type=info.type, target_id=info.id, case_id=case_id,
                               reason=reason)
    elif action in (Action.FORWARD_COUNTER, Action.RESTORE):
        await _on_counter(services, actor, item, notice, action, reason)


async def _on_counter(services: ModerationServices, actor: audit.Actor, item: QueueItem, notice: Notice, action: Action,
                      reason: str) -> None:
    """Forward or uphold the counter-notice of the author of the item's target: each author answers
    for their own posts, so only their part of the case moves (and only their posts come back)."""
    settings: Settings = services.settings
    case_id = notice.id
    author_id, part = await notices.author_part(case_id, item.target_type, item.target_id)
    forwarding = action == Action.FORWARD_COUNTER
    waiting = {CounterStatus.RECEIVED} if forwarding else set(CounterStatus)
    counters = [c for c in await CounterNotice.filter(notice_id=case_id, author_id=author_id, outcome__isnull=True)
                if c.status in waiting] if author_id is not None and part else []
    if not counters or not await cases.touch(case_id, Event.FORWARD_COUNTER if forwarding else Event.RESTORE):
        raise conflict(f"The case is {notice.status}: there is no counter-notice to "
                       f"{'forward' if forwarding else 'uphold'} for this target.")
    assert author_id is not None
    ids = [c.id for c in counters]
    if forwarding:
        restore_at = legal.period_end(now(), settings.counter_notice_wait_seconds, settings.legal_calendar)
        await CounterNotice.filter(id__in=ids, status=CounterStatus.RECEIVED).update(
            status=CounterStatus.FORWARDED, restore_at=restore_at)
        await notices.forward(case_id)
        await notices.part_events(case_id, "counter_forwarded", rows=part,
                                  data={"restore_at": restore_at.isoformat(), "counter_notice_id": str(ids[0])})
        await notices.settle_items(services.settings, case_id, Action.FORWARD_COUNTER, keep=item.id, only=part)
        await audit.record(actor, "counter_forwarded", target_type=item.target_type, target_id=item.target_id,
                           case_id=case_id, reason=reason)
        await notifications.send(author_id, "counter_forwarded", {"case_id": case_id, "restore_at": restore_at})
        return
    await CounterNotice.filter(id__in=ids, outcome__isnull=True).update(outcome=CounterOutcome.RESTORED)
    rows = await notices.restore_targets(services, case_id, actor, why=reason, author_id=author_id)
    await notices.part_events(case_id, "restored", note=reason, rows=rows, data={"by": "review"})
    await notices.settle_items(services.settings, case_id, Action.RESTORE, keep=item.id, only=rows)
    if await notices.after_part(case_id) == CaseState.RESTORED:
        await audit.record(actor, "case_restored", case_id=case_id, reason=reason)


async def _carry_reports(settings: Settings, item: QueueItem) -> None:
    """The case waits for its claimant, but members' reports on the target still need a decision:
    they move to a new live report item (keeping a hidden target's flag)."""
    if not await Report.filter(item_id=item.id).exists():
        return
    fresh = await queue.enqueue(item.target_type, item.target_id, ItemKind.REPORT,
                                due_at=now() + timedelta(seconds=settings.report_due_seconds))
    await Report.filter(item_id=item.id).update(item_id=fresh.id)
    if item.hidden:
        await QueueItem.filter(id=fresh.id).update(hidden=True)
