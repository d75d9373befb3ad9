"""Tables of delivery: the outbox, each attempt at a row, and each member's choices."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class Delivery(Model):
    """One message to send once: a webhook to the push gateway or an email.

    ``recipient`` is an email address only for people without an account (rights holders); a
    member's address is read when the mail is sent, so a changed address is honoured.
    """

    id = fields.IntField(primary_key=True)
    channel = fields.CharField(max_length=16)  # webhook | email
    notification_id = fields.IntField(null=True)
    account_id = fields.IntField(null=True)
    recipient = fields.CharField(max_length=254, null=True)
    kind = fields.CharField(max_length=32)
    data: fields.Field[dict[str, Any]] = fields.JSONField()
    created_at = fields.DatetimeField()
    # pending until delivered, or failed after the retry window, or skipped (nowhere to send it)
    status = fields.CharField(max_length=16, default="pending", db_default="pending")
    attempts = fields.IntField(default=0, db_default=0)
    next_attempt_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "delivery_outbox"
        indexes = (("status", "next_attempt_at"),)


class DeliveryAttempt(Model):
    """What happened when the worker tried a row: ``ok`` or why not (an HTTP status, a timeout)."""

    id = fields.IntField(primary_key=True)
    delivery_id = fields.IntField(db_index=True)
    at = fields.DatetimeField()
    ok = fields.BooleanField()
    detail = fields.CharField(max_length=200)

    class Meta:
        table = "delivery_attempt"


class NotificationPreference(Model):
    """A member's choices (no row: push on, email on, every kind)."""

    id = fields.IntField(primary_key=True)
    account_id = fields.IntField(unique=True)
    push = fields.BooleanField(default=True)
    email = fields.BooleanField(default=True)
    kinds: fields.Field[dict[str, bool]] = fields.JSONField()

    class Meta:
        table = "delivery_preference"


class Announcement(Model):
    """A notice from the operator to every member: a policy update, a service notice, a shutdown."""

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    kind = fields.CharField(max_length=20)  # policy_update | service_notice | shutdown
    effective_at = fields.DatetimeField()
    policy_version = fields.CharField(max_length=40, null=True)
    author_id = fields.IntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "delivery_announcement"
