"""Comments on diaries, diary entries, reviews and answers, with one level of replies."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

__all__ = ["Comment"]


class Comment(Model):
    """A comment (评论) on a post, or a reply to a top-level comment."""

    id = fields.IntField(primary_key=True)
    target_type = fields.CharField(max_length=16)
    target_id = fields.CharField(max_length=40)
    author_id = fields.IntField(db_index=True)
    anonymous = fields.BooleanField(default=False, db_default=False)
    body = fields.TextField(default="")
    text = fields.TextField(default="")
    # The comment replied to, as the replier chose it, and the top-level comment of the thread:
    # a reply to a reply joins its top-level comment's thread (one level of replies).
    reply_to_id = fields.IntField(null=True)
    thread_id = fields.IntField(null=True, db_index=True)
    status = fields.CharField(max_length=16, default="published", db_default="published", db_index=True)
    case_id = fields.CharField(max_length=40, null=True)
    status_reason = fields.TextField(null=True)
    like_count = fields.IntField(default=0, db_default=0)
    version = fields.IntField(default=1, db_default=1)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "content_comment"
        indexes = (("target_type", "target_id"),)
