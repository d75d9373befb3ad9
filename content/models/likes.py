"""Likes: one per member per object, counted on the object itself."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

__all__ = ["Like"]


class Like(Model):
    """A member likes a post or comment (点赞), at most once."""

    id = fields.IntField(primary_key=True)
    target_type = fields.CharField(max_length=16)
    target_id = fields.CharField(max_length=40)
    member_id = fields.IntField(db_index=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "content_like"
        unique_together = (("target_type", "target_id", "member_id"),)
