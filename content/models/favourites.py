"""Favourites (收藏): a member keeps a post to read again; only the member ever sees the list."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

__all__ = ["Favourite"]


class Favourite(Model):
    """A member's favourite diary, review, question, answer or encyclopedia page, at most once"""

    id = fields.IntField(primary_key=True)
    member_id = fields.IntField()
    target_type = fields.CharField(max_length=16)
    target_id = fields.CharField(max_length=40)
    created_at = fields.DatetimeField()

    class Meta:
        table = "content_favourite"
        unique_together = (("member_id", "target_type", "target_id"),)
