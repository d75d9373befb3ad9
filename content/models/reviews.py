"""Reviews (评价) of clinics and doctors, with a 1-5 rating and detailed scores."""

from __future__ import annotations

from tortoise import fields

from content.models._base import Post

__all__ = ["Review"]


class Review(Post):
    """A rating with text and photos of a clinic or a doctor"""

    target_type = fields.CharField(max_length=8)
    target_id = fields.IntField()
    procedure = fields.CharField(max_length=80, null=True, db_index=True)
    rating = fields.SmallIntField()
    scores: fields.JSONField[dict[str, int] | None] = fields.JSONField(null=True)
    body = fields.TextField(default="")
    text = fields.TextField(default="")
    media_ids: fields.JSONField[list[str]] = fields.JSONField(default=list)
    diary_id = fields.IntField(null=True)
    # author:type:id while the review is live, NULL once deleted: one live review per author and target.
    live_key = fields.CharField(max_length=60, null=True, unique=True)

    class Meta:
        table = "content_review"
        # The feed reads the newest published reviews by status and time.
        indexes = (("target_type", "target_id", "status"), ("status", "like_count"), ("status", "created_at"))
