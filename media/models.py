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

# What moderation may do to one photo (``Upload.takedown``).
TAKEN_DOWN = "removed"
HELD = "hidden"
TAKEDOWNS = (TAKEN_DOWN, HELD)


class Upload(Model):
    """An uploaded image: its variants in storage and whether and to whom they are served."""

    id = fields.CharField(max_length=40, primary_key=True)
    owner_id = fields.IntField(null=True, db_index=True)
    purpose = fields.CharField(max_length=16, default="post", db_default="post")
    status = fields.CharField(max_length=16, default=PENDING, db_default=PENDING, db_index=True)
    holder = fields.CharField(max_length=80, null=True, db_index=True)
    # False while the holder is hidden or removed: nothing is served, the objects stay.
    visible = fields.BooleanField(default=True, db_default=True)
    # The random part of the public copies' keys (``public/<id>/<token>/<variant>.webp``) while the
    # upload is published; None while it is not. A restore publishes under a new token, so a URL
    # handed out before a takedown never serves again.
    public_token = fields.CharField(max_length=32, null=True)
    width = fields.IntField()
    height = fields.IntField()
    # Size and SHA-256 of the stored ``large`` variant (the original file is never kept, nor its digest).
    bytes = fields.BigIntField()
    sha256 = fields.CharField(max_length=64)
    # {"thumb": {"key": ..., "width": ..., "height": ..., "bytes": ..., "sha256": ...}, "medium": ..., "large": ...};
    # ``key`` is the private object, kept for as long as the upload (and the legal record) needs it.
    variants: dict[str, dict[str, object]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(db_index=True)
    attached_at = fields.DatetimeField(null=True)
    released_at = fields.DatetimeField(null=True)
    # pHash of the image (16 hex digits), computed while rendering; None for uploads older than it.
    phash = fields.CharField(max_length=16, null=True)
    # Moderation acting on this one photo rather than on its holder: ``removed`` (taken down on a
    # legal notice or for a policy reason; readers of its post see a placeholder naming the case
    # and the reason) or ``hidden`` (held for review: shown to nobody but its uploader and
    # moderators). None while nothing holds it. A restore of the holder never brings it back.
    takedown = fields.CharField(max_length=16, null=True)
    takedown_case_id = fields.CharField(max_length=40, null=True)
    takedown_reason = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "media_upload"
        # A holder's uploads in a status (attaching, hiding, publishing): with the holder first, so
        # SQLite without statistics does not walk the status index through every upload instead.
        indexes = (("holder", "status"),)


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


class DeadCopy(Model):
    """Public copies taken down whose deletion from storage or purge from the CDN has not succeeded
    yet: the sweeper retries them. Serving stopped already (the row's token is gone)."""

    id = fields.IntField(primary_key=True)
    keys: list[str] = fields.JSONField(default=list)
    urls: list[str] = fields.JSONField(default=list)
    attempts = fields.IntField(default=0, db_default=0)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "media_dead_copy"


# Why a perceptual hash is kept: the photo was removed on a legal notice, or moderators listed it
# as a clinic's marketing image (a diary using it is reported, not refused).
REMOVED = "removed"
BLOCKED = "blocked"


class Fingerprint(Model):
    """The perceptual hash (pHash, 64 bits) of a photo that must not come back, and why.

    The hash is also kept as 4 bands of 16 bits in indexed columns. Two hashes within 7 bits of
    each other differ in at most 1 bit in at least one band (pigeonhole: 4 bands of 2 or more would
    make 8), so a lookup reads the rows whose band equals the new photo's or one of its 16
    one-bit neighbours (4 x 17 indexed values) and measures the distance on those few.
    """

    id = fields.IntField(primary_key=True)
    # 16 hex digits, as ``imagehash`` prints it.
    phash = fields.CharField(max_length=16)
    b0 = fields.IntField(db_index=True)
    b1 = fields.IntField(db_index=True)
    b2 = fields.IntField(db_index=True)
    b3 = fields.IntField(db_index=True)
    reason = fields.CharField(max_length=16, default=REMOVED, db_default=REMOVED)
    case_id = fields.CharField(max_length=40, null=True)
    media_id = fields.CharField(max_length=40)
    # Why moderators listed a blocked photo (for the queue); empty for removals (the case says why).
    note = fields.CharField(max_length=500, default="", db_default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "media_fingerprint"
        unique_together = (("media_id", "reason"),)
