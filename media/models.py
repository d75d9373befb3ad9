"""Tables of the media room."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

# An upload's life: pending (uploaded, not attached) -> attached (to a holder such as "diary:12")
# -> released (its holder is gone, it was deleted, or its owner's account was): never served again,
# and the sweeper deletes its objects and then the row.
PENDING = "pending"
ATTACHED = "attached"
RELEASED = "released"

PURPOSES = ("post", "avatar", "evidence")


class Upload(Model):
    """An uploaded image: its variants in storage and whether and to whom they are served."""

    id = fields.CharField(max_length=40, primary_key=True)
    owner_id = fields.IntField(null=True, db_index=True)
    purpose = fields.CharField(max_length=16, default="post", db_default="post")
    status = fields.CharField(max_length=16, default=PENDING, db_default=PENDING, db_index=True)
    holder = fields.CharField(max_length=80, null=True, db_index=True)
    # False while the holder is hidden or removed: nothing is served, the objects stay.
    visible = fields.BooleanField(default=True, db_default=True)
    width = fields.IntField()
    height = fields.IntField()
    bytes = fields.BigIntField()
    sha256 = fields.CharField(max_length=64)
    # {"thumb": {"key": ..., "width": ..., "height": ..., "bytes": ...}, "medium": ..., "large": ...}
    variants: dict[str, dict[str, object]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(db_index=True)
    attached_at = fields.DatetimeField(null=True)
    released_at = fields.DatetimeField(null=True)

    class Meta:
        table = "media_upload"


class UploadQuota(Model):
    """What one member uploaded on one UTC day, for the per-day quotas."""

    id = fields.IntField(primary_key=True)
    owner_id = fields.IntField()
    day = fields.DateField()
    count = fields.IntField(default=0, db_default=0)
    bytes = fields.BigIntField(default=0, db_default=0)

    class Meta:
        table = "media_upload_quota"
        unique_together = (("owner_id", "day"),)
