"""Tables of the moderation room: reports, legal cases, the queue, strikes, the audit log, notifications.

Other rooms' rows are referred to by id only (no foreign keys across rooms).
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from moderation.vocabulary import CaseState, CounterStatus, ItemKind, ItemStatus


class Report(Model):
    """A report of content or an account (举报), or a system report from the screener."""

    id = fields.IntField(primary_key=True)
    # NULL for system reports (the screener): NULLs never collide in the unique pair below.
    reporter_id = fields.IntField(null=True, db_index=True)
    target_type = fields.CharField(max_length=16)
    target_id = fields.CharField(max_length=40)
    reason = fields.CharField(max_length=20)
    detail = fields.TextField(default="")
    item_id = fields.IntField(db_index=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "moderation_report"
        unique_together = (("reporter_id", "target_type", "target_id"),)


class QueueItem(Model):
    """One unresolved item per target, aggregating its reports, notices and counter-notices."""

    id = fields.IntField(primary_key=True)
    target_type = fields.CharField(max_length=16)
    target_id = fields.CharField(max_length=40)
    # "type:id" while the item is unresolved, NULL once resolved: one live item per target.
    live_key = fields.CharField(max_length=60, null=True, unique=True)
    kind = fields.CharField(max_length=16, default=ItemKind.REPORT.value, db_default=ItemKind.REPORT.value)
    status = fields.CharField(max_length=12, default=ItemStatus.OPEN.value, db_default=ItemStatus.OPEN.value,
                              db_index=True)
    case_id = fields.CharField(max_length=24, null=True, db_index=True)
    due_at = fields.DatetimeField(db_index=True)
    claimed_by = fields.IntField(null=True)
    claimed_until = fields.DatetimeField(null=True)
    hidden = fields.BooleanField(default=False, db_default=False)
    decision = fields.CharField(max_length=20, null=True)
    created_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "moderation_queue_item"
        indexes = (("target_type", "target_id"),)


class Notice(Model):
    """A legal notice (侵权投诉) from a rights holder without an account: one case."""

    id = fields.CharField(max_length=24, primary_key=True)
    notice_type = fields.CharField(max_length=16)
    status = fields.CharField(max_length=20, default=CaseState.RECEIVED.value, db_default=CaseState.RECEIVED.value,
                              db_index=True)
    token_hash = fields.CharField(max_length=64)
    claimant: fields.Field[dict[str, Any]] = fields.JSONField()
    agent: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    work: fields.Field[dict[str, Any]] = fields.JSONField()
    description = fields.TextField()
    signature = fields.CharField(max_length=200)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    # Timers: the end of the counter-notice window after measures, the wait after forwarding.
    close_at = fields.DatetimeField(null=True, db_index=True)
    restore_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "moderation_notice"


class NoticeTarget(Model):
    """A piece of content named by a notice, with its real author at the time of the notice."""

    id = fields.IntField(primary_key=True)
    notice_id = fields.CharField(max_length=24, db_index=True)
    target_type = fields.CharField(max_length=16)
    target_id = fields.CharField(max_length=40)
    author_id = fields.IntField(null=True, db_index=True)
    removed = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "moderation_notice_target"
        unique_together = (("notice_id", "target_type", "target_id"),)


class CaseEvent(Model):
    """One step of a case's timeline, as the claimant sees it with the case token."""

    id = fields.IntField(primary_key=True)
    notice_id = fields.CharField(max_length=24, db_index=True)
    event = fields.CharField(max_length=24)
    note = fields.TextField(default="")
    data: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    at = fields.DatetimeField()

    class Meta:
        table = "moderation_case_event"


class CounterNotice(Model):
    """The answer of an author to a takedown (反通知), forwarded to the claimant once checked."""

    id = fields.IntField(primary_key=True)
    notice_id = fields.CharField(max_length=24, db_index=True)
    author_id = fields.IntField(db_index=True)
    statement = fields.TextField()
    name = fields.CharField(max_length=100)
    phone = fields.CharField(max_length=40)
    address = fields.CharField(max_length=300)
    proof_media_ids: fields.Field[list[str]] = fields.JSONField()
    signature = fields.CharField(max_length=200)
    status = fields.CharField(max_length=12, default=CounterStatus.RECEIVED.value,
                              db_default=CounterStatus.RECEIVED.value)
    created_at = fields.DatetimeField()
    # Each author answers for their own posts: their part of the case is restored on its own clock.
    restore_at = fields.DatetimeField(null=True, db_index=True)
    # NULL while pending; restored, held (legal action) or withdrawn (the notice was withdrawn).
    outcome = fields.CharField(max_length=12, null=True)

    class Meta:
        table = "moderation_counter_notice"


class Strike(Model):
    """An upheld removal counted against an author (repeat-infringer policy)."""

    id = fields.IntField(primary_key=True)
    account_id = fields.IntField(db_index=True)
    target_type = fields.CharField(max_length=16)
    target_id = fields.CharField(max_length=40)
    case_id = fields.CharField(max_length=24, null=True)
    created_at = fields.DatetimeField()
    lifted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "moderation_strike"


class Suspension(Model):
    """Why an account is read-only: strikes (ends by itself when they are lifted) or removal on reports."""

    id = fields.IntField(primary_key=True)
    account_id = fields.IntField(db_index=True)
    cause = fields.CharField(max_length=16)
    case_id = fields.CharField(max_length=24, null=True)
    started_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    end_reason = fields.TextField(default="")
    # A moderator's suspension: who decided it (an appeal goes to another moderator), and until when
    # (NULL: permanent); the scheduler ends it once ``until`` has passed.
    by_id = fields.IntField(null=True)
    until = fields.DatetimeField(null=True, db_index=True)
    reason = fields.TextField(default="", db_default="")

    class Meta:
        table = "moderation_suspension"


class QueueNote(Model):
    """A moderator's note on a queue item, for the other moderators (never shown to members)."""

    id = fields.IntField(primary_key=True)
    item_id = fields.IntField(db_index=True)
    author_id = fields.IntField()
    body = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "moderation_queue_note"


class Appeal(Model):
    """A member's appeal (申诉) against one decision: a non-legal hide or removal, or a suspension."""

    id = fields.IntField(primary_key=True)
    appellant_id = fields.IntField(db_index=True)
    target_type = fields.CharField(max_length=16)
    target_id = fields.CharField(max_length=40)
    # The decision appealed: ``audit:<entry id>`` (a hide or removal) or ``suspension:<id>``; one
    # appeal per member and decision.
    decision_key = fields.CharField(max_length=40)
    decided_by = fields.IntField(null=True)  # the moderator of the original decision (NULL: the system)
    statement = fields.TextField()
    status = fields.CharField(max_length=12)
    item_id = fields.IntField(null=True)
    created_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "moderation_appeal"
        unique_together = (("appellant_id", "decision_key"),)


class AuditEntry(Model):
    """An append-only record of a moderation act: no API changes or deletes one."""

    id = fields.IntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    # NULL actor: the system (scheduler, screener) or a claimant without an account.
    actor_id = fields.IntField(null=True, db_index=True)
    actor_kind = fields.CharField(max_length=12)
    action = fields.CharField(max_length=32)
    target_type = fields.CharField(max_length=16, null=True)
    target_id = fields.CharField(max_length=40, null=True)
    case_id = fields.CharField(max_length=24, null=True, db_index=True)
    reason = fields.TextField(default="")

    class Meta:
        table = "moderation_audit_entry"
        indexes = (("target_type", "target_id"),)


class Notification(Model):
    """A message to a member: takedowns, counter-notice outcomes, strikes, answers, comments."""

    id = fields.IntField(primary_key=True)
    account_id = fields.IntField()
    kind = fields.CharField(max_length=32)
    payload: fields.Field[dict[str, Any]] = fields.JSONField()
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "moderation_notification"
        indexes = (("account_id", "id"),)
