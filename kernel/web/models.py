"""Tables of the HTTP layer itself."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class IdempotencyRecord(Model):
    """The first answer to a create sent with an Idempotency-Key, replayed for 24 h."""

    id = fields.IntField(primary_key=True)
    scope = fields.CharField(max_length=80)
    key = fields.CharField(max_length=200)
    fingerprint = fields.CharField(max_length=64)
    status = fields.IntField()
    body = fields.BinaryField()
    location = fields.CharField(max_length=300, null=True)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "idempotency_record"
        unique_together = (("scope", "key"),)


class RateWindow(Model):
    """Requests counted in one fixed window of a rate-limit bucket, shared by every process on PostgreSQL.

    One row per (bucket, key, window): a hit is one upsert that adds one and returns the count.
    """

    id = fields.BigIntField(primary_key=True)
    bucket = fields.CharField(max_length=32)
    key = fields.CharField(max_length=80)
    window_start = fields.BigIntField()  # seconds since the epoch, a multiple of the bucket's window
    n = fields.IntField(default=0)
    expires_at = fields.BigIntField(db_index=True)  # when the window ends: older rows are deleted

    class Meta:
        table = "rate_window"
        unique_together = (("bucket", "key", "window_start"),)
