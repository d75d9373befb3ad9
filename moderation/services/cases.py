"""The legal case's state machine: one table ``(state, event) -> state`` that every move reads.

States (民法典 1195-1196, 信息网络传播权保护条例 14-17, 电子商务法 43) are ``CaseState``; events are
what the claimant, a moderator, an author or a timer does to the case. A pair missing from the
table is not allowed: the request answers 409, a timer skips the case. The room guide
(``moderation/README.md``, "The legal process") draws the same table; a test holds them together.

Every move is one conditional UPDATE (``WHERE status IN (the states the event leaves)``): of two
requests or two scheduler processes racing, exactly one moves the case; the loser sees 409 or does
nothing. On PostgreSQL the UPDATE also locks the case's row until the transaction ends, so a
concurrent move waits for this one and then finds the case moved.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from kernel.clock import now
from moderation.models import Notice
from moderation.vocabulary import CaseState


class Event(StrEnum):
    """What happens to a case. Restoring one author's posts (a moderator's ``restore``, or the wait
    after their counter-notice ending) moves the case by what is left of it, so it is four events."""

    REQUEST_INFO = "request_info"  # a moderator asks the claimant for more
    SUPPLEMENT = "supplement"  # the claimant answers
    REJECT_NOTICE = "reject_notice"  # a moderator finds the notice unfounded or incomplete
    REMOVE = "remove"  # a moderator upholds the notice: measures on every target
    WINDOW_ENDS = "window_ends"  # no counter-notice within MEIJI_NO_COUNTER_CLOSE_SECONDS
    COUNTER_NOTICE = "counter_notice"  # an author answers for their own posts
    FORWARD_COUNTER = "forward_counter"  # a moderator forwards an author's counter-notice
    LEGAL_ACTION = "legal_action"  # the claimant went to court: every pending counter-notice is held
    WITHDRAWAL = "withdrawal"  # the claimant withdraws: everything comes back
    RESTORE = "restore"  # an author's posts are back, and nothing the case removed stays removed
    RESTORE_PART = "restore_part"  # ... others' posts stay removed, no counter-notice is pending
    RESTORE_PART_PENDING = "restore_part_pending"  # ... another counter-notice waits for a moderator
    RESTORE_PART_FORWARDED = "restore_part_forwarded"  # ... another forwarded one's wait still runs


_R, _I, _M = CaseState.RECEIVED, CaseState.INCOMPLETE, CaseState.MEASURES_TAKEN
_CR, _CF = CaseState.COUNTER_RECEIVED, CaseState.COUNTER_FORWARDED


def _answered(state: CaseState) -> dict[tuple[CaseState, Event], CaseState]:
    """What may happen to a case once some author answered (``counter_received`` or ``counter_forwarded``)."""
    return {
        (state, Event.COUNTER_NOTICE): state,  # another author's answer joins the case as it stands
        (state, Event.FORWARD_COUNTER): _CF,
        (state, Event.LEGAL_ACTION): CaseState.LITIGATION_HOLD,
        (state, Event.WITHDRAWAL): CaseState.WITHDRAWN,
        (state, Event.RESTORE): CaseState.RESTORED,
        (state, Event.RESTORE_PART): _M,  # the others may still answer until the case closes
        (state, Event.RESTORE_PART_PENDING): _CR,
        (state, Event.RESTORE_PART_FORWARDED): _CF,
    }


TABLE: dict[tuple[CaseState, Event], CaseState] = {
    (_R, Event.REQUEST_INFO): _I,
    (_R, Event.REJECT_NOTICE): CaseState.REJECTED,
    (_R, Event.REMOVE): _M,
    (_R, Event.WITHDRAWAL): CaseState.WITHDRAWN,
    (_I, Event.SUPPLEMENT): _R,
    (_I, Event.REJECT_NOTICE): CaseState.REJECTED,
    (_I, Event.WITHDRAWAL): CaseState.WITHDRAWN,
    (_M, Event.WINDOW_ENDS): CaseState.CLOSED,
    (_M, Event.COUNTER_NOTICE): _CR,
    (_M, Event.WITHDRAWAL): CaseState.WITHDRAWN,
    **_answered(_CR),
    **_answered(_CF),
}

# Final here: after a court ruling (litigation_hold), moderators act on content by hand.
FINAL: frozenset[CaseState] = frozenset(CaseState) - {state for state, _ in TABLE}
# Cases under which removed content stays removed.
HOLDING: frozenset[CaseState] = frozenset({_M, _CR, _CF, CaseState.LITIGATION_HOLD, CaseState.CLOSED})
# Cases waiting for a moderator: a notice to review, a counter-notice to check.
AWAITING_MODERATOR: frozenset[CaseState] = frozenset({_R, _CR})


def sources(event: Event) -> tuple[CaseState, ...]:
    """The states ``event`` may leave, in the table's order."""
    return tuple(state for state, on in TABLE if on is event)


async def move(case_id: str, event: Event, **fields: Any) -> CaseState | None:
    """Move the case on ``event`` as the table says, setting ``fields`` too; returns its new state,
    None when it is in no state the event leaves (another request or process moved it first).

    One conditional UPDATE per target state, so each is the lock: a case is in one state, so at
    most one of them matches. An event that leaves a state as it is (another author's counter-notice
    on an answered case) still writes ``updated_at``, which locks the row the same way.
    """
    moment = now()
    by_target: dict[CaseState, list[CaseState]] = {}
    for state in sources(event):
        by_target.setdefault(TABLE[(state, event)], []).append(state)
    for target, leaving in by_target.items():
        if await Notice.filter(id=case_id, status__in=leaving).update(status=target, updated_at=moment, **fields):
            return target
    return None


async def touch(case_id: str, event: Event) -> bool:
    """Whether the case is in a state ``event`` may leave, checked by a conditional UPDATE that also
    locks its row (PostgreSQL) until the transaction ends: the caller settles what decides the
    event (whose counter-notice, what is left removed) before it moves the case."""
    return bool(await Notice.filter(id=case_id, status__in=list(sources(event))).update(updated_at=now()))
