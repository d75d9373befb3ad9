"""Accounts and their sessions."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Account(Model):
    """A member of the community, with a role: member, editor, moderator or admin."""

    id = fields.IntField(primary_key=True)
    handle = fields.CharField(max_length=40, unique=True)
    password_hash = fields.CharField(max_length=200)
    birth_date = fields.DateField(null=True)
    guardian_consent = fields.BooleanField(default=False)
    role = fields.CharField(max_length=16, default="member", db_default="member")
    # active, suspended (reads only) or deleted (gone for everyone; the row keeps ids consistent)
    status = fields.CharField(max_length=16, default="active", db_default="active")
    bio = fields.TextField(default="")
    avatar_media_id = fields.CharField(max_length=40, null=True)
    version = fields.IntField(default=1, db_default=1)
    created_at = fields.DatetimeField()
    suspended_at = fields.DatetimeField(null=True)
    # Where mail goes; only a verified address receives notifications or password resets.
    email = fields.CharField(max_length=254, null=True)
    email_verified_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account"


class Session(Model):
    """A bearer token, stored only as its SHA-256."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField("meiji.Account", related_name="sessions",
                                                                         on_delete=fields.CASCADE)
    account_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    # Written at most hourly; a session idle for MEIJI_SESSION_IDLE_DAYS ends. Null: never since creation.
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account_session"


class HandleHold(Model):
    """A deleted account's handle, kept from new owners until ``held_until``."""

    id = fields.IntField(primary_key=True)
    handle = fields.CharField(max_length=40, unique=True)
    held_until = fields.DatetimeField()

    class Meta:
        table = "account_handle_hold"
