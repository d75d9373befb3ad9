"""Professional accounts: an account verified as a clinic's staff or as a doctor, and the one
official reply (官方回复) a clinic or doctor gives to a review of it."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from content.models._base import Post

__all__ = ["ProfessionalLink", "ReviewReply"]


class ProfessionalLink(Model):
    """An account an admin verified as staff of a clinic or as a doctor"""

    # One identity per account (``account_id`` is unique) and one account per doctor; a clinic
    # may have many staff accounts. ``clinic_id`` is set for staff, ``doctor_id`` for a doctor.

    id = fields.IntField(primary_key=True)
    account_id = fields.IntField(unique=True)
    kind = fields.CharField(max_length=8)  # clinic | doctor
    clinic_id = fields.IntField(null=True, db_index=True)
    doctor_id = fields.IntField(null=True, unique=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "content_professional"


class ReviewReply(Post):
    """The official reply to one review, in its clinic's or doctor's name"""

    # Written by a professional account (``author_id``), never anonymous; shown only while the
    # review itself may be read, so a hidden or removed review hides its reply.

    review_id = fields.IntField(unique=True)
    by_type = fields.CharField(max_length=8)  # clinic | doctor
    by_id = fields.IntField()
    body = fields.TextField(default="")
    text = fields.TextField(default="")

    class Meta:
        table = "content_review_reply"
