"""Diaries (日记本) and their entries: a member's record of one procedure, day by day."""

from __future__ import annotations

from tortoise import fields

from content.models._base import Post

__all__ = ["Diary", "DiaryEntry"]


class Diary(Post):
    """A diary of one procedure, with before photos and dated entries"""

    title = fields.CharField(max_length=120)
    procedure = fields.CharField(max_length=80, db_index=True)
    operated_on = fields.DateField()
    clinic_id = fields.IntField(null=True, db_index=True)
    doctor_id = fields.IntField(null=True, db_index=True)
    price_cny = fields.IntField(null=True)
    before_media_ids: fields.JSONField[list[str]] = fields.JSONField(default=list)
    cover_media_id = fields.CharField(max_length=40, null=True)
    # Published entries, and the photos of the latest published entry that has photos (the after).
    entry_count = fields.IntField(default=0, db_default=0)
    after_media_ids: fields.JSONField[list[str]] = fields.JSONField(default=list)
    after_day = fields.IntField(null=True)
    # Freshness plus likes and comments, moved only by atomic increments (sort=popular).
    popularity = fields.FloatField(default=0.0, db_default=0.0, db_index=True)
    # Members following it, moved by atomic increments (content/services/follows.py).
    follower_count = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "content_diary"
        # Lists: published diaries by popularity, and by procedure newest first; the feed reads the
        # newest published diaries by status and time.
        indexes = (("status", "popularity"), ("procedure", "status"), ("status", "created_at"))


class DiaryEntry(Post):
    """One day of a diary, with its text, photos and how it felt"""

    diary: fields.ForeignKeyRelation[Diary] = fields.ForeignKeyField("content.Diary", related_name="entries",
                                                                     on_delete=fields.CASCADE)
    diary_id: int
    body = fields.TextField(default="")
    text = fields.TextField(default="")
    happened_on = fields.DateField()
    # Days from the operation: 术后第N天, negative before it.
    day = fields.IntField()
    media_ids: fields.JSONField[list[str]] = fields.JSONField(default=list)
    has_photos = fields.BooleanField(default=False, db_default=False)
    scores: fields.JSONField[dict[str, int] | None] = fields.JSONField(null=True)

    class Meta:
        table = "content_diary_entry"
        # A diary's entries in day order (id breaks ties: SQLite appends the rowid to the index).
        indexes = (("diary_id", "status", "day"),)
