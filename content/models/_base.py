"""The abstract ``Post``: the columns every piece of member content shares, whoever's area it is.

Subclass it (``class Question(Post)``) and register the type in ``content.visibility`` so status,
anonymity, moderation, privacy tools and counts work on it without further code.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from kernel.vocabulary import PostStatus, values

STATUSES: tuple[str, ...] = values(PostStatus)


class Post(Model):
    """Member content with a status and an author who may be hidden"""

    id = fields.IntField(primary_key=True)
    # The real author, even of anonymous posts; NULL once the account was erased with "anonymize".
    author_id = fields.IntField(null=True, db_index=True)
    anonymous = fields.BooleanField(default=False, db_default=False)
    # published | hidden (pending review) | removed (moderation) | deleted (by the author)
    status = fields.CharField(max_length=16, default="published", db_default="published", db_index=True)
    case_id = fields.CharField(max_length=64, null=True)
    status_reason = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    version = fields.IntField(default=1, db_default=1)
    like_count = fields.IntField(default=0, db_default=0)
    comment_count = fields.IntField(default=0, db_default=0)

    class Meta:
        abstract = True
