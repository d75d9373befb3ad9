"""The outbox: content changes recorded in the same transaction, drained by the indexer."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class OutboxEntry(Model):
    """A document key whose index entry must be brought up to date.

    Drained rows are kept for a day (done) so that a rebuild can replay what changed while it ran.
    """

    id = fields.BigIntField(primary_key=True)
    doc_type = fields.CharField(max_length=20)
    doc_id = fields.CharField(max_length=40)
    created_at = fields.DatetimeField(auto_now_add=True)
    done = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "search_outbox"
        indexes = (("done", "id"),)
