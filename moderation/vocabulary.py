"""The moderation room's closed sets: queue items, decisions, reports, notices and the legal case.

Each is a ``StrEnum`` whose members are the strings the API and the tables already use, so a member
compares equal to a stored value and serializes as it; mypy sees a typo. The sets every room shares
(roles, post statuses, content types) come from ``kernel.vocabulary``; what moderation may act on
is derived from them here, never spelled out again. How a case moves between its states is the
table in ``moderation.services.cases``.
"""

from __future__ import annotations

from enum import StrEnum

from kernel.vocabulary import MODERATED, ContentType


class ItemKind(StrEnum):
    """What a queue item is about, in rising urgency: its target's live item takes the most urgent."""

    REPORT = "report"
    NOTICE = "notice"
    COUNTER_NOTICE = "counter_notice"
    # A member's appeal (申诉) against a decision: its own item (never merged into the target's).
    APPEAL = "appeal"


# A target's live item is raised to the most urgent kind pending on it, never lowered.
URGENCY: dict[str, int] = {kind: rank for rank, kind in enumerate(ItemKind)}


class ItemStatus(StrEnum):
    """Where a queue item stands; a lapsed claim counts as ``open``."""

    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class Action(StrEnum):
    """A moderator's decision on a claimed queue item."""

    REMOVE = "remove"
    KEEP = "keep"
    REQUEST_INFO = "request_info"
    REJECT_NOTICE = "reject_notice"
    FORWARD_COUNTER = "forward_counter"
    RESTORE = "restore"
    UPHOLD = "uphold"  # an appeal: the original decision stands
    OVERTURN = "overturn"  # an appeal: the original decision is undone


# Which actions each kind of item takes; anything else is 409.
ACTIONS: dict[str, frozenset[Action]] = {
    ItemKind.REPORT: frozenset({Action.REMOVE, Action.KEEP, Action.RESTORE}),
    ItemKind.NOTICE: frozenset({Action.REMOVE, Action.REQUEST_INFO, Action.REJECT_NOTICE}),
    ItemKind.COUNTER_NOTICE: frozenset({Action.FORWARD_COUNTER, Action.RESTORE}),
    ItemKind.APPEAL: frozenset({Action.UPHOLD, Action.OVERTURN}),
}


class DirectAction(StrEnum):
    """What a moderator does to a target without a report (``POST /v1/moderation/actions``)."""

    HIDE = "hide"
    REMOVE = "remove"
    RESTORE = "restore"


class AppealStatus(StrEnum):
    """Where a member's appeal stands."""

    PENDING = "pending"
    UPHELD = "upheld"  # the decision stands
    OVERTURNED = "overturned"  # the content is back, the strike and its suspension lifted


class ReportReason(StrEnum):
    """Why a member reports content or an account (举报理由); the screener reports ``advertising``."""

    SPAM = "spam"
    ADVERTISING = "advertising"
    MISINFORMATION = "misinformation"
    PRIVACY = "privacy"
    HARASSMENT = "harassment"
    ILLEGAL = "illegal"
    INFRINGEMENT = "infringement"
    OTHER = "other"


class NoticeType(StrEnum):
    """Which right a legal notice claims is infringed; also the public reason of a legal removal."""

    COPYRIGHT = "copyright"  # 著作权
    PORTRAIT = "portrait"  # 肖像权
    PRIVACY = "privacy"  # 隐私权
    REPUTATION = "reputation"  # 名誉权
    OTHER = "other"


class CaseState(StrEnum):
    """Where a legal case (one notice) stands; the claimant reads it as the case's ``status``."""

    RECEIVED = "received"
    INCOMPLETE = "incomplete"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    MEASURES_TAKEN = "measures_taken"
    COUNTER_RECEIVED = "counter_received"
    COUNTER_FORWARDED = "counter_forwarded"
    RESTORED = "restored"
    LITIGATION_HOLD = "litigation_hold"
    CLOSED = "closed"


class CounterStatus(StrEnum):
    """Whether a moderator has forwarded a counter-notice to the claimant yet."""

    RECEIVED = "received"
    FORWARDED = "forwarded"


class CounterOutcome(StrEnum):
    """How a counter-notice was settled (NULL while pending)."""

    RESTORED = "restored"  # its author's posts are published again
    HELD = "held"  # the claimant took legal action
    WITHDRAWN = "withdrawn"  # the notice was withdrawn


class SuspensionCause(StrEnum):
    """Why an account is read-only: several causes may hold it at once."""

    STRIKES = "strikes"  # ends by itself once fewer than three strikes are active
    ACCOUNT_REMOVED = "account_removed"  # a ``remove`` decision on reports about the account
    MODERATOR = "moderator"  # a moderator's suspension, until a time (lifts itself) or permanent


class ActorKind(StrEnum):
    """Who acted, as the audit log records it."""

    MEMBER = "member"
    MODERATOR = "moderator"
    SYSTEM = "system"  # the scheduler, the screener
    CLAIMANT = "claimant"  # a rights holder, without an account


# Besides content, members report accounts; a wiki revision is suppressed by a moderator (or a
# notice), never reported. Plain strings: they become a Literal that validation errors spell out.
ACCOUNT = "account"
REPORTABLE: tuple[str, ...] = (*(t.value for t in MODERATED if t is not ContentType.WIKI_REVISION), ACCOUNT)
