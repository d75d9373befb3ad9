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
