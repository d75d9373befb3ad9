"""Follows (关注): a member follows an account, a diary, a question or reference data, and the counts."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

__all__ = ["Follow", "FollowerCount"]


class Follow(Model):
    """A member follows something, at most once (target_id is an id, or a slug for procedures)"""

    id = fields.IntField(primary_key=True)
    member_id = fields.IntField()
    target_type = fields.CharField(max_length=16)
    target_id = fields.CharField(max_length=80)
    created_at = fields.DatetimeField()

    class Meta:
        table = "content_follow"
        # The unique index leads with the member: "what do I follow" (the feed, my list) reads it.
        unique_together = (("member_id", "target_type", "target_id"),)


# A table of its own, so every followable type (accounts included, whose table is not content's)
# gets a count without a column on its row.
class FollowerCount(Model):
    """How many members follow one object, a counter moved only by atomic increments"""

    id = fields.IntField(primary_key=True)
    target_type = fields.CharField(max_length=16)
    target_id = fields.CharField(max_length=80)
    followers = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "content_follower_count"
        unique_together = (("target_type", "target_id"),)
