"""Follows (关注): a member follows an account, a diary, a question or reference data, and the counts."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

__all__ = ["FeedItem", "Follow", "FollowerCount"]


class Follow(Model):
    """A member follows something, at most once (target_id is an id, or a slug for procedures)"""

    id = fields.IntField(primary_key=True)
    member_id = fields.IntField()
    target_type = fields.CharField(max_length=16)
    target_id = fields.CharField(max_length=80)
    created_at = fields.DatetimeField()

    class Meta:
        table = "content_follow"
        # The unique index leads with the member: "what do I follow" (my list) reads it; a new post
        # finds its followers by target.
        unique_together = (("member_id", "target_type", "target_id"),)
        indexes = (("target_type", "target_id"),)


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


class FeedItem(Model):
    """A post that reached a member's feed through one source they follow (one row per source)"""

    id = fields.IntField(primary_key=True)
    member_id = fields.IntField()
    created_at = fields.DatetimeField()  # the post's
    rank = fields.SmallIntField()  # the post's type (content.services.feed.RANKS)
    post_id = fields.IntField()
    because_type = fields.CharField(max_length=16)
    because_id = fields.CharField(max_length=80)

    class Meta:
        table = "content_feed_item"
        unique_together = (("member_id", "rank", "post_id", "because_type", "because_id"),)
        # A page: the member's newest rows; an unfollow: the member's rows of one source.
        indexes = (("member_id", "created_at", "rank", "post_id"), ("member_id", "because_type", "because_id"))
