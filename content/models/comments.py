"""Comments on diaries, diary entries, reviews and answers, with one level of replies."""

from __future__ import annotations

from tortoise import fields

from content.models._base import Post

__all__ = ["Comment"]


class Comment(Post):
    """A comment (评论) on a post, or a reply in a top-level comment's thread"""

    target_type = fields.CharField(max_length=16)
    target_id = fields.CharField(max_length=40)
    body = fields.TextField(default="")
    text = fields.TextField(default="")
    # The comment replied to, as the replier chose it, and the top-level comment of the thread:
    # a reply to a reply joins its top-level comment's thread (one level of replies).
    # ``comment_count`` of a top-level comment counts its published replies.
    reply_to_id = fields.IntField(null=True)
    thread_id = fields.IntField(null=True, db_index=True)

    class Meta:
        table = "content_comment"
        # A post's page of comments reads its published ones in thread order.
        indexes = (("target_type", "target_id"), ("target_type", "target_id", "status", "thread_id", "id"))
