"""Accounts and their sessions."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

HANDLE_MAX = 40  # characters of a stored handle (schemas allow 30: room for what cleaning keeps)
# NFKC writes one character as up to 18 (U+FDFA), and nothing else in a handle's key lengthens it.
HANDLE_KEY_MAX = 18 * HANDLE_MAX


class Account(Model):
    """A member of the community, with a role: member, editor, moderator or admin."""

    id = fields.IntField(primary_key=True)
    handle = fields.CharField(max_length=HANDLE_MAX, unique=True)
    # The handle's look-alike key (``meiji.accounts.handles.lookalike_key``): no two accounts share one.
    # Null only for an account that already looked like an older one's when keys came (migration 0007).
    handle_key = fields.CharField(max_length=HANDLE_KEY_MAX, unique=True, null=True)
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
    # A member may correct their birth date once (the reason is kept in ``AccountCorrection``).
    birth_date_corrected_at = fields.DatetimeField(null=True)
    # Under 14: reads only until the guardian confirms by the mailed link (``GuardianConsent``).
    awaiting_guardian = fields.BooleanField(default=False, db_default=False)
    # The policy version the member last accepted; ``policy_pending`` while a newer one awaits acceptance.
    policy_version_accepted = fields.CharField(max_length=40, null=True)
    policy_pending = fields.BooleanField(default=False, db_default=False)

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
    # The client that signed in, as its User-Agent said (shown in the member's list of sessions).
    user_agent = fields.CharField(max_length=200, default="", db_default="")

    class Meta:
        table = "account_session"


class HandleHold(Model):
    """A deleted account's handle, kept from new owners until ``held_until``."""

    id = fields.IntField(primary_key=True)
    handle = fields.CharField(max_length=HANDLE_MAX, unique=True)
    # Its look-alike key: what the hold keeps from others. Null only before 0007 filled it.
    handle_key = fields.CharField(max_length=HANDLE_KEY_MAX, null=True, db_index=True)
    held_until = fields.DatetimeField()

    class Meta:
        table = "account_handle_hold"


class EmailChallenge(Model):
    """A code sent to an address the member wants to use, theirs once they type it back."""

    id = fields.IntField(primary_key=True)
    account_id = fields.IntField(unique=True)  # one open challenge per account: a new request replaces it
    email = fields.CharField(max_length=254)
    code_hash = fields.CharField(max_length=64)
    expires_at = fields.DatetimeField()
    attempts = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "account_email_challenge"


class PasswordReset(Model):
    """A one-time link to set a new password, stored only as its token's SHA-256."""

    id = fields.IntField(primary_key=True)
    account_id = fields.IntField(db_index=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account_password_reset"


class AccountCorrection(Model):
    """A correction a member made to data they cannot otherwise change (their birth date), with why."""

    id = fields.IntField(primary_key=True)
    account_id = fields.IntField(db_index=True)
    field = fields.CharField(max_length=32)
    old_value = fields.CharField(max_length=40, null=True)
    new_value = fields.CharField(max_length=40)
    reason = fields.TextField()
    at = fields.DatetimeField()

    class Meta:
        table = "account_correction"


class GuardianConsent(Model):
    """A guardian's consent to an account of a member under 14: who was asked, and when they confirmed."""

    id = fields.IntField(primary_key=True)
    account_id = fields.IntField(unique=True)
    guardian_email = fields.CharField(max_length=254)
    token_hash = fields.CharField(max_length=64, unique=True)
    requested_at = fields.DatetimeField()
    confirmed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account_guardian_consent"


class PolicyConsent(Model):
    """A member's acceptance of one version of the policies, and when."""

    id = fields.IntField(primary_key=True)
    account_id = fields.IntField(db_index=True)
    policy_version = fields.CharField(max_length=40)
    accepted_at = fields.DatetimeField()

    class Meta:
        table = "account_policy_consent"
        unique_together = (("account_id", "policy_version"),)
