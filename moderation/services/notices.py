"""Legal notices (侵权投诉) and counter-notices: the case, its token, its timeline, and what each
move of the case does. Which moves are allowed is the table in ``moderation.services.cases``:
every move here names its event and goes through ``cases.move``.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from content.services import TargetInfo
from kernel.clock import now
from kernel.settings import Settings
from kernel.tokens import new_token, token_hash
from kernel.vocabulary import PostStatus
from kernel.web.auth import Principal
from kernel.web.problems import Problem, conflict, invalid, not_found
from media.interfaces import Attachments, MediaError
from moderation.interfaces import ModerationServices
from moderation.models import CaseEvent, CounterNotice, Notice, NoticeTarget, QueueItem, Report
from moderation.schemas import CounterNoticeIn, LegalActionIn, NoticeIn, SupplementIn
from moderation.services import audit, cases, notifications, queue, strikes, targets
from moderation.services import calendar as legal
from moderation.services.cases import Event
from moderation.vocabulary import (
    Action,
    CaseState,
    CounterOutcome,
    CounterStatus,
    ItemKind,
    ItemStatus,
    NoticeType,
)

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# Decisions after which the content is (again) published: pending reports on it still need a decision.
CONTENT_STAYS = frozenset({Action.REQUEST_INFO, Action.REJECT_NOTICE, CaseState.WITHDRAWN, Action.RESTORE})


def new_case_id() -> str:
    return "N" + "".join(secrets.choice(_ALPHABET) for _ in range(12))


async def part_events(case_id: str, name: str, *, note: str = "", rows: Sequence[NoticeTarget],
                      data: dict[str, Any] | None = None) -> None:
    """One timeline step per target of an author's part of the case: never one step listing several
    posts together, which would tell the claimant they share an author (an anonymous post and a
    named one, say). The claimant gets one letter for the part, not one per post."""
    for index, t in enumerate(rows):
        await event(case_id, name, note, {**(data or {}), "targets": [{"type": t.target_type, "id": t.target_id}]},
                    letter=index == 0)


async def event(case_id: str, name: str, note: str = "", data: dict[str, Any] | None = None, *,
                letter: bool = True) -> None:
    """A step of the case on its timeline, and (``letter``) the claimant's email about it."""
    await CaseEvent.create(notice_id=case_id, event=name, note=note, data=data, at=now())
    if letter:
        await notifications.case_step(case_id, name, note, data)


async def _attach(services: ModerationServices, holder: str, field: str, media_ids: Sequence[str],
                  owner_id: int | None) -> None:
    """Attach evidence uploads to a case holder; 422 naming the field of the first bad id."""
    if not media_ids:
        return
    media: Attachments = services.media
    try:
        await media.attach(holder, list(media_ids), owner_id=owner_id, purposes=("evidence",))
    except MediaError as exc:
        index = list(media_ids).index(exc.media_id) if exc.media_id in media_ids else None
        name = f"{field}.{index}" if index is not None and field.endswith("_ids") else field
        raise invalid(name, exc.message) from None


# --- the claimant's side ----------------------------------------------------------------------

async def _resolve_targets(services: ModerationServices, body: NoticeIn) -> list[TargetInfo]:
    settings: Settings = services.settings
    found: list[TargetInfo] = []
    errors: list[dict[str, str]] = []
    for index, ref in enumerate(body.targets):
        pair: tuple[str, str] | None
        if ref.url is not None:
            ours = targets.is_ours(settings, ref.url)
            pair = await targets.resolve_url(services, ref.url, our_host=ours)
            if not ours and pair is None:
                errors.append({"field": f"targets.{index}.url",
                               "message": "not a URL of this service: give a link to our site or app's share page"})
                continue
        else:
            assert ref.type is not None and ref.id is not None
            pair = (ref.type, ref.id)
        info = await targets.find(services, *pair) if pair and pair[0] in targets.CONTENT_TYPES else None
        if info is not None and info.type == targets.PHOTO and not await targets.shown_photo(services, info.id):
            info = None  # evidence, or an upload no post or profile shows
        if info is None or info.status == PostStatus.DELETED:
            shown = ref.url if ref.url is not None else f"{ref.type} {ref.id}"
            field = f"targets.{index}.url" if ref.url is not None else f"targets.{index}"
            errors.append({"field": field, "message": f"no content of ours at {shown}"})
        elif all((t.type, t.id) != (info.type, info.id) for t in found):
            found.append(info)
    if errors:
        raise Problem(422, "Some targets are not content of this service: "
                      + ", ".join(e["field"] for e in errors) + ".", errors=errors)
    return found


async def submit(services: ModerationServices, body: NoticeIn, caller: Principal | None) -> tuple[Notice, str]:
    """Open a case: the notice, its targets queued for review; returns the case and its access token."""
    settings: Settings = services.settings
    found = await _resolve_targets(services, body)
    token = new_token()
    moment = now()
    owner = caller.id if caller else None
    async with in_transaction():
        notice = await Notice.create(
            id=new_case_id(), notice_type=body.notice_type, status=CaseState.RECEIVED, token_hash=token_hash(token),
            claimant=body.claimant.model_dump(), agent=body.agent.model_dump() if body.agent else None,
            work=body.work.model_dump(), description=body.description, signature=body.signature,
            created_at=moment, updated_at=moment)
        holder = f"notice:{notice.id}"
        await _attach(services, holder, "work.proof_media_ids", body.work.proof_media_ids, owner)
        if body.claimant.id_document_media_id:
            await _attach(services, holder, "claimant.id_document_media_id", [body.claimant.id_document_media_id],
                          owner)
        if body.agent:
            await _attach(services, holder, "agent.authorization_media_id", [body.agent.authorization_media_id],
                          owner)
        for info in found:
            await NoticeTarget.create(notice_id=notice.id, target_type=info.type, target_id=info.id,
                                      author_id=info.author_id)
            await queue.enqueue(info.type, info.id, ItemKind.NOTICE,
                                due_at=moment + timedelta(seconds=settings.notice_due_seconds), case_id=notice.id)
            await audit.record(audit.CLAIMANT, "notice_received", target_type=info.type, target_id=info.id,
                               case_id=notice.id, reason=body.notice_type)
        await event(notice.id, "received")
    return notice, token


async def case_for(case_id: str, token: str | None, caller: Principal | None) -> Notice:
    """The case, for its token holder or a moderator; 404 for anyone else (existence is private)."""
    notice = await Notice.get_or_none(id=case_id) if len(case_id) <= 24 else None
    if notice is None:
        raise not_found("case")
    if caller is not None and caller.is_moderator:
        return notice
    if token and hmac.compare_digest(token_hash(token), notice.token_hash):
        return notice
    raise not_found("case")


def _counter_json(counter: CounterNotice, calendar: str) -> dict[str, Any]:
    # The law forwards the author's name, phone and address to the claimant (信息网络传播权保护条例 16).
    return {"id": str(counter.id), "statement": counter.statement, "name": counter.name, "phone": counter.phone,
            "address": counter.address, "proof_media_ids": counter.proof_media_ids,
            "signature": counter.signature, "status": counter.status, "created_at": counter.created_at,
            "restore_at": counter.restore_at, "restore_calendar": legal.label(counter.restore_at, calendar),
            "outcome": counter.outcome}


def _timeline(events: Sequence[CaseEvent], *, moderator: bool) -> list[dict[str, Any]]:
    """The case's steps. A moderator sees each as recorded. The claimant sees a moderator's words only
    where they tell what to do or why the case ended (``notifications.CASE_NOTES``), and a
    counter-notice received as one step naming no post: until it is forwarded, as the law has it,
    nothing tells them which posts one author answered for (an anonymous post and a named one, say)."""
    shown: list[dict[str, Any]] = []
    counters: set[str] = set()
    for e in events:
        data = e.data or {}
        if not moderator and e.event == "counter_received":
            counter = data.get("counter_notice_id")
            if counter in counters:
                continue  # the same counter-notice's other posts
            if counter is not None:
                counters.add(counter)
        step: dict[str, Any] = {"event": e.event, "at": e.at,
                                "note": e.note if moderator or e.event in notifications.CASE_NOTES else ""}
        # Steps that concern some targets only (one author's counter-notice, its restoration) name them.
        if "targets" in data and (moderator or e.event != "counter_received"):
            step["targets"] = data["targets"]
        shown.append(step)
    return shown


async def case_json(services: ModerationServices, notice: Notice, *,
                    moderator_id: int | None = None) -> dict[str, Any]:
    """The case as its claimant follows it, or as a moderator sees it: every field, real authors included
    (each anonymous author shown is an ``author_revealed`` entry in the log)."""
    rows = await NoticeTarget.filter(notice_id=notice.id).order_by("id")
    events = await CaseEvent.filter(notice_id=notice.id).order_by("id")
    counters = await CounterNotice.filter(notice_id=notice.id).order_by("id")
    if moderator_id is None:
        counters = [c for c in counters if c.status == CounterStatus.FORWARDED]
    data: dict[str, Any] = {
        "case_id": notice.id,
        "status": notice.status,
        "notice_type": notice.notice_type,
        "created_at": notice.created_at,
        "updated_at": notice.updated_at,
        "targets": [{"type": t.target_type, "id": t.target_id, "measures": "removed" if t.removed else None}
                    for t in rows],
        "timeline": _timeline(events, moderator=moderator_id is not None),
        "counter_notices": [_counter_json(c, services.settings.legal_calendar) for c in counters],
        "close_at": notice.close_at,
        "restore_at": notice.restore_at,
        # Which calendar each deadline was counted on (民法典 203: a rest day moves it to a working day).
        "close_calendar": legal.label(notice.close_at, services.settings.legal_calendar),
        "restore_calendar": legal.label(notice.restore_at, services.settings.legal_calendar),
    }
    if moderator_id is not None:
        data.update(claimant=notice.claimant, agent=notice.agent, work=notice.work, description=notice.description,
                    signature=notice.signature)
        for entry, row in zip(data["targets"], rows, strict=True):
            entry["author_id"] = str(row.author_id) if row.author_id is not None else None
            info = await targets.find(services, row.target_type, row.target_id) if row.author_id else None
            if info is not None and info.anonymous:
                await audit.record(audit.moderator(moderator_id), "author_revealed", target_type=row.target_type,
                                   target_id=row.target_id, case_id=notice.id)
    return data


async def supplement(services: ModerationServices, notice: Notice, body: SupplementIn,
                     caller: Principal | None) -> Notice:
    """The claimant answers a request for information: the case goes back to review."""
    settings: Settings = services.settings
    async with in_transaction():
        if not await cases.move(notice.id, Event.SUPPLEMENT):
            raise conflict(f"The case is {notice.status}: no information was requested.")
        await _attach(services, f"notice:{notice.id}", "proof_media_ids", body.proof_media_ids,
                      caller.id if caller else None)
        await event(notice.id, "supplemented", body.description,
                    {"proof_media_ids": body.proof_media_ids})
        due = now() + timedelta(seconds=settings.notice_due_seconds)
        for t in await NoticeTarget.filter(notice_id=notice.id):
            await queue.enqueue(t.target_type, t.target_id, ItemKind.NOTICE, due_at=due, case_id=notice.id)
        await audit.record(audit.CLAIMANT, "supplemented", case_id=notice.id)
    return await Notice.get(id=notice.id)


async def legal_action(services: ModerationServices, notice: Notice, body: LegalActionIn,
                       caller: Principal | None) -> Notice:
    """The claimant went to court or to the authorities: the content stays removed (litigation hold).

    Only within the wait: a counter-notice whose wait ended is settled first, as the scheduler would
    have settled it (its author's posts restored), so a late legal action holds only what is left."""
    if await restore_due(services, now(), case_id=notice.id):
        notice = await Notice.get(id=notice.id)
    async with in_transaction():
        if not await cases.move(notice.id, Event.LEGAL_ACTION, restore_at=None):
            raise conflict(f"The case is {notice.status}: legal action follows a counter-notice.")
        await _attach(services, f"legal:{notice.id}", "proof_media_ids", body.proof_media_ids,
                      caller.id if caller else None)
        await event(notice.id, "litigation_hold", body.description, {"proof_media_ids": body.proof_media_ids})
        await CounterNotice.filter(notice_id=notice.id, outcome__isnull=True).update(outcome=CounterOutcome.HELD)
        await audit.record(audit.CLAIMANT, "litigation_hold", case_id=notice.id)
        await settle_items(services.settings, notice.id, CaseState.LITIGATION_HOLD)
        for author_id in await removed_authors(notice.id):
            await notifications.send(author_id, "litigation_hold", {"case_id": notice.id})
    return await Notice.get(id=notice.id)


async def withdraw(services: ModerationServices, notice: Notice, reason: str) -> Notice:
    """The claimant withdraws the notice; content removed on it is restored."""
    async with in_transaction():
        if not await cases.move(notice.id, Event.WITHDRAWAL, close_at=None, restore_at=None):
            raise conflict(f"The case is {notice.status}: it can no longer be withdrawn.")
        await event(notice.id, "withdrawn", reason)
        await audit.record(audit.CLAIMANT, "withdrawn", case_id=notice.id, reason=reason)
        await CounterNotice.filter(notice_id=notice.id, outcome__isnull=True).update(outcome=CounterOutcome.WITHDRAWN)
        await settle_items(services.settings, notice.id, CaseState.WITHDRAWN)
        await restore_targets(services, notice.id, audit.CLAIMANT, why="withdrawn")
    return await Notice.get(id=notice.id)


# --- the author's side ------------------------------------------------------------------------

async def counter_notice(services: ModerationServices, author: Principal, case_id: str,
                         body: CounterNoticeIn) -> CounterNotice:
    """The author of a removed target answers the notice for their own posts; the counter-notice is
    queued for checking. Each author of the case answers once, whoever answered before."""
    settings: Settings = services.settings
    notice = await Notice.get_or_none(id=case_id) if len(case_id) <= 24 else None
    mine = await NoticeTarget.filter(notice_id=case_id, author_id=author.id, removed=True) if notice else []
    if notice is None or not mine:
        raise not_found("case")
    if notice.close_at is not None and notice.close_at <= now():
        # The window the takedown notification gave (``counter_notice_until``), whether or not the
        # scheduler has closed the case yet.
        raise conflict(f"The window for a counter-notice ended at {notice.close_at.isoformat()}.")
    async with in_transaction():
        # The first counter-notice moves the case; later ones from other authors join it as it stands.
        if not await cases.move(case_id, Event.COUNTER_NOTICE):
            raise conflict(f"The case is {notice.status}: a counter-notice is not accepted now.")
        if await CounterNotice.filter(notice_id=case_id, author_id=author.id, outcome__isnull=True).exists():
            raise conflict("You already answered this case; your counter-notice is being handled.")
        counter = await CounterNotice.create(
            notice_id=case_id, author_id=author.id, statement=body.statement, name=body.name, phone=body.phone,
            address=body.address, proof_media_ids=body.proof_media_ids, signature=body.signature,
            status=CounterStatus.RECEIVED, created_at=now())
        await _attach(services, f"counter:{counter.id}", "proof_media_ids", body.proof_media_ids, author.id)
        await part_events(case_id, "counter_received", rows=mine, data={"counter_notice_id": str(counter.id)})
        due = now() + timedelta(seconds=settings.counter_due_seconds)
        for t in mine:
            await queue.enqueue(t.target_type, t.target_id, ItemKind.COUNTER_NOTICE, due_at=due, case_id=case_id)
            await audit.record(audit.member(author.id), "counter_received", target_type=t.target_type,
                               target_id=t.target_id, case_id=case_id)
    return counter


# --- what decisions and timers do to a case ---------------------------------------------------

def notice_summary(notice: Notice) -> dict[str, Any]:
    """The notice as forwarded to the author: who claims what, never the claimant's contact details."""
    claimant = notice.claimant or {}
    work = notice.work or {}
    return {
        "case_id": notice.id,
        "notice_type": notice.notice_type,
        "claimant": {"name": claimant.get("name"), "organization": claimant.get("organization")},
        "agent": {"name": notice.agent.get("name")} if notice.agent else None,
        "work": {"description": work.get("description"), "original_url": work.get("original_url")},
        "description": notice.description,
        "received_at": notice.created_at,
    }


async def removed_authors(case_id: str) -> set[int]:
    rows = await NoticeTarget.filter(notice_id=case_id, removed=True, author_id__isnull=False)
    return {r.author_id for r in rows if r.author_id is not None}


async def settle_items(settings: Settings, case_id: str, decision: Action | CaseState, *, keep: int | None = None,
                       only: Sequence[NoticeTarget] | None = None) -> None:
    """Resolve the case's live queue items (the case moved on without them); ``only``: the items of
    those targets (one author's part of the case).

    When the content stays up (``content_stays``), items that also carry members' reports go back
    to being report items instead, so those reports are still decided. Other cases waiting on the
    same targets (a later notice gathered under this case's item) get items of their own.
    """
    query = QueueItem.filter(case_id=case_id, live_key__isnull=False)
    if keep is not None:
        query = query.exclude(id=keep)
    items = await query
    if only is not None:
        keys = {(t.target_type, t.target_id) for t in only}
        items = [i for i in items if (i.target_type, i.target_id) in keys]
    if decision in CONTENT_STAYS and items:
        reported = {r.item_id for r in await Report.filter(item_id__in=[i.id for i in items])}
        if reported:
            await QueueItem.filter(id__in=list(reported)).update(kind=ItemKind.REPORT, case_id=None)
        items = [i for i in items if i.id not in reported]
    if items:
        await QueueItem.filter(id__in=[i.id for i in items]).update(
            status=ItemStatus.RESOLVED, live_key=None, decision=decision, resolved_at=now(), claimed_by=None,
            claimed_until=None)
        for target_type, target_id in sorted({(i.target_type, i.target_id) for i in items}):
            await requeue_waiting(settings, target_type, target_id)


async def requeue_waiting(settings: Settings, target_type: str, target_id: str) -> None:
    """Other cases on this target still waiting for a moderator get the target's next live item.

    Notices on a target gather in its one live item under the first case; once that item is
    decided, the next waiting case (a later notice, or a counter-notice) needs an item of its own.
    """
    case_ids = await NoticeTarget.filter(target_type=target_type, target_id=target_id).values_list(
        "notice_id", flat=True)
    waiting = await Notice.filter(id__in=[str(c) for c in case_ids], status__in=list(cases.AWAITING_MODERATOR)
                                  ).order_by("created_at")
    for notice in waiting:
        if await QueueItem.filter(case_id=notice.id, live_key__isnull=False).exists():
            continue
        counter = notice.status == CaseState.COUNTER_RECEIVED
        due = now() + timedelta(seconds=settings.counter_due_seconds if counter else settings.notice_due_seconds)
        await queue.enqueue(target_type, target_id, ItemKind.COUNTER_NOTICE if counter else ItemKind.NOTICE,
                            due_at=due, case_id=notice.id)


# Notices whose removed photos are remembered by their perceptual hashes (a defamatory text's
# photos are not the infringement).
PHOTO_RIGHTS = frozenset({NoticeType.COPYRIGHT, NoticeType.PORTRAIT, NoticeType.PRIVACY})


async def take_measures(services: ModerationServices, notice: Notice, *, actor: audit.Actor, reason: str,
                        item_id: int, only: Sequence[tuple[str, str]] | None = None) -> None:
    """Remove every target of the case (``only``: those of its targets; the others stay up): 451 with
    the case id, strikes, the notice forwarded to authors."""
    settings: Settings = services.settings
    named = await NoticeTarget.filter(notice_id=notice.id, removed=False).order_by("id")
    chosen = None if only is None else set(only)
    spared = [] if chosen is None else [t for t in named if (t.target_type, t.target_id) not in chosen]
    named = [t for t in named if chosen is None or (t.target_type, t.target_id) in chosen]
    # What is still there to take down (a post its author deleted is not).
    found = [(t, info) for t in named if (info := await targets.find(services, t.target_type, t.target_id))
             is not None and info.status != PostStatus.DELETED]
    if not found:
        # Nothing to take down: telling the claimant measures were taken would not be true.
        raise conflict("Every target of this case is gone (deleted by its author): there is nothing to remove; "
                       "decide reject_notice, saying so, to close the case.")
    deadline = legal.period_end(now(), settings.no_counter_close_seconds, settings.legal_calendar)
    if not await cases.move(notice.id, Event.REMOVE, close_at=deadline):
        raise conflict(f"The case is {notice.status}: measures are taken on a received notice.")
    forwarded = notice_summary(notice)
    struck: dict[int, NoticeTarget] = {}  # one strike per author of the case, however many posts it names
    if chosen is not None:
        # The targets the moderator spared stay up: their items settle as on a rejected notice.
        await settle_items(settings, notice.id, Action.REJECT_NOTICE, keep=item_id, only=spared)
    for t, info in found:
        # Content already removed (another case, or reports) stays removed under that decision: this
        # case holds it too, its author hears of this notice, but it is no second strike.
        already = info.status == PostStatus.REMOVED
        if not already:
            await targets.set_status(services, info, PostStatus.REMOVED, case_id=notice.id, reason=notice.notice_type)
        await NoticeTarget.filter(id=t.id).update(removed=True)
        if notice.notice_type in PHOTO_RIGHTS:
            # Its photos must not come back: an upload close to one is refused, naming this case.
            await services.media.remember_removed(info.media_ids, case_id=notice.id)
        await audit.record(actor, "removed", target_type=t.target_type, target_id=t.target_id, case_id=notice.id,
                           reason=reason)
        if info.author_id is not None:
            await notifications.send(info.author_id, "takedown", {
                "target": targets.summary(info), "case_id": notice.id, "reason": notice.notice_type,
                "notice": forwarded, "counter_notice_until": deadline,
                "counter_notice_calendar": legal.label(deadline, settings.legal_calendar),
                "counter_notice_path": f"/v1/notices/{notice.id}/counter-notices"})
            if not already:
                struck.setdefault(info.author_id, t)
    for author_id, first in struck.items():
        await strikes.strike(services, actor, author_id, target_type=first.target_type, target_id=first.target_id,
                             case_id=notice.id)
    await settle_items(settings, notice.id, Action.REMOVE, keep=item_id)
    await event(notice.id, "measures_taken", reason)


async def _other_holder(target_type: str, target_id: str, case_id: str) -> Notice | None:
    """Another case under which this target stays removed, if any."""
    held = await NoticeTarget.filter(target_type=target_type, target_id=target_id, removed=True).exclude(
        notice_id=case_id).values_list("notice_id", flat=True)
    return await Notice.filter(id__in=[str(h) for h in held], status__in=list(cases.HOLDING)).order_by(
        "created_at").first()


async def restore_targets(services: ModerationServices, case_id: str, actor: audit.Actor, *, why: str,
                          author_id: int | None = None) -> list[NoticeTarget]:
    """Publish the case's removed targets again (``author_id``: only that author's), lift the case's
    strikes on their authors and tell them; returns the targets restored."""
    query = NoticeTarget.filter(notice_id=case_id, removed=True)
    if author_id is not None:
        query = query.filter(author_id=author_id)
    rows = await query.order_by("id")
    for t in rows:
        info = await targets.find(services, t.target_type, t.target_id)
        await NoticeTarget.filter(id=t.id).update(removed=False)
        if info is None or info.status != PostStatus.REMOVED:
            continue
        if info.case_id is None:
            # Removed by moderation before the notice came (a policy decision, 410): the case held it
            # too, and its end leaves that decision standing; an appeal is the way back.
            continue
        # Uploads of its photos are accepted again, unless another case keeps them removed.
        await services.media.forget_removed(info.media_ids, case_id=case_id)
        holder = await _other_holder(t.target_type, t.target_id, case_id)
        if holder is not None:
            if holder.notice_type in PHOTO_RIGHTS:
                await services.media.remember_removed(info.media_ids, case_id=holder.id)
            # Another case keeps it removed: 451 now names that case.
            await targets.set_status(services, info, PostStatus.REMOVED, case_id=holder.id, reason=holder.notice_type)
            continue
        await targets.set_status(services, info, PostStatus.PUBLISHED)
        await audit.record(actor, "restored", target_type=t.target_type, target_id=t.target_id, case_id=case_id,
                           reason=why)
        await notifications.send(info.author_id, "restored", {"target": targets.summary(info), "case_id": case_id,
                                                              "reason": why})
    for author in sorted({t.author_id for t in rows if t.author_id is not None}):
        await strikes.lift(services, actor, author, case_id=case_id, why=why)
    return rows


async def author_part(case_id: str, target_type: str, target_id: str) -> tuple[int | None, list[NoticeTarget]]:
    """The author of this target in the case, and every target of theirs the case still holds removed."""
    row = await NoticeTarget.get_or_none(notice_id=case_id, target_type=target_type, target_id=target_id)
    if row is None or row.author_id is None:
        return None, []
    return row.author_id, await NoticeTarget.filter(notice_id=case_id, author_id=row.author_id,
                                                    removed=True).order_by("id")


async def _clocks(case_id: str) -> tuple[bool, list[datetime]]:
    """Whether a counter-notice of the case is pending, and when the forwarded ones restore their posts."""
    pending = await CounterNotice.filter(notice_id=case_id, outcome__isnull=True)
    return bool(pending), [c.restore_at for c in pending
                           if c.status == CounterStatus.FORWARDED and c.restore_at is not None]


async def forward(case_id: str) -> None:
    """An author's counter-notice went to the claimant: the case waits for the earliest restoration."""
    _, clocks = await _clocks(case_id)
    await cases.move(case_id, Event.FORWARD_COUNTER, restore_at=min(clocks))


async def after_part(case_id: str) -> CaseState | None:
    """After one author's part of the case was restored, the case follows what is left: ``restored``
    once nothing is removed; ``measures_taken`` when no counter-notice is pending (the others may
    still answer until the case closes); else the earliest restoration still to come."""
    pending, clocks = await _clocks(case_id)
    if not await NoticeTarget.filter(notice_id=case_id, removed=True).exists():
        happened = Event.RESTORE
    elif not pending:
        happened = Event.RESTORE_PART
    else:
        happened = Event.RESTORE_PART_FORWARDED if clocks else Event.RESTORE_PART_PENDING
    return await cases.move(case_id, happened, restore_at=min(clocks) if clocks else None)


async def close_due(moment: datetime) -> int:
    """``measures_taken -> closed`` for cases whose counter-notice window ended; returns how many."""
    closed = 0
    leaving = list(cases.sources(Event.WINDOW_ENDS))
    for case_id in await Notice.filter(status__in=leaving, close_at__lte=moment).values_list("id", flat=True):
        async with in_transaction():
            if not await cases.move(str(case_id), Event.WINDOW_ENDS, close_at=None):
                continue  # another scheduler process closed it
            await event(str(case_id), "closed", "no counter-notice within the window")
            await audit.record(audit.SYSTEM, "closed", case_id=str(case_id), reason="no counter-notice")
            closed += 1
    return closed


async def restore_due(services: ModerationServices, moment: datetime, *, case_id: str | None = None) -> int:
    """Each forwarded counter-notice whose wait ended without legal action (``case_id``: of that case
    only): its author's posts are restored; returns how many counter-notices were settled so."""
    why = "no legal action within the waiting period"
    restored = 0
    due = CounterNotice.filter(status=CounterStatus.FORWARDED, outcome__isnull=True, restore_at__lte=moment)
    if case_id is not None:
        due = due.filter(notice_id=case_id)
    due = due.order_by("id")
    for counter in await due:
        async with in_transaction():
            # The case row first (a legal action waits for it), then the counter-notice: of two
            # scheduler processes only one moves it.
            if not await cases.touch(counter.notice_id, Event.RESTORE):
                continue
            if not await CounterNotice.filter(id=counter.id, outcome__isnull=True).update(
                    outcome=CounterOutcome.RESTORED):
                continue
            rows = await restore_targets(services, counter.notice_id, audit.SYSTEM, why=why,
                                         author_id=counter.author_id)
            await part_events(counter.notice_id, "restored", note=why, rows=rows, data={"by": "wait"})
            await settle_items(services.settings, counter.notice_id, Action.RESTORE, only=rows)
            if await after_part(counter.notice_id) == CaseState.RESTORED:
                await audit.record(audit.SYSTEM, "case_restored", case_id=counter.notice_id, reason=why)
            restored += 1
    return restored
