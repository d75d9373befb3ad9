"""Sign-up, sign-in, tokens, profiles and roles."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from content.visibility import forget_author
from kernel import db
from kernel.clock import now, today_in_china
from kernel.rows import as_datetime, fetch
from kernel.tokens import new_token, token_hash
from kernel.web.auth import Principal
from kernel.web.ids import id_or_404
from kernel.web.problems import Problem, conflict, invalid, not_found
from meiji.accounts import guardians, passwords
from meiji.accounts.handles import lookalike_key, mimics_placeholder
from meiji.accounts.models import Account, HandleHold, Session

hasher = passwords.production_hasher()
# Verifying against this keeps a wrong handle as slow as a wrong password.
_DUMMY_HASH = hasher.hash("not-a-password-anyone-has")
CONSENT_AGE = 14  # PIPL art. 31: under 14 needs a guardian's consent
TAKEN = "This handle is taken."
_SESSION_COLUMNS = ("SELECT s.expires_at, s.created_at, s.last_used_at, a.id, a.handle, a.role, a.status, "
                    "a.created_at AS joined_at, a.awaiting_guardian, a.policy_pending "
                    "FROM account_session s JOIN account a ON a.id = s.account_id WHERE s.token_hash = ")
_SESSION_SQL = {"sqlite": _SESSION_COLUMNS + "?", "postgres": _SESSION_COLUMNS + "$1"}
# A session's last use is written at most this often: reads stay reads, and idleness is counted in days.
LAST_USE_PRECISION = timedelta(hours=1)


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


async def hash_password(password: str) -> str:
    """An argon2id hash, computed on the bounded password pool (503 when it is full)."""
    current = hasher
    return await passwords.pool().run(lambda: current.hash(password))


async def check_password(stored: str, password: str) -> tuple[bool, str | None]:
    """Whether ``password`` matches ``stored``, and a new hash when ``stored`` has old parameters.

    One job on the pool does both, so an upgrade never waits in the queue a second time.
    """
    current = hasher

    def check() -> tuple[bool, str | None]:
        try:
            if not (current.verify(stored or _DUMMY_HASH, password) and stored):
                return False, None
        except (VerificationError, InvalidHashError):
            return False, None
        return True, current.hash(password) if current.check_needs_rehash(stored) else None

    return await passwords.pool().run(check)


async def password_matches(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (on the bounded password pool)."""
    matches, _ = await check_password(stored, password)
    return matches


async def handle_taken(handle: str, *, account_id: int | None = None) -> bool:
    """Another account's handle looks like it (same look-alike key), or a deleted one's hold on it has
    not run out. ``account_id``'s own handle does not count: a member may change its case."""
    handle_key = lookalike_key(handle)
    accounts = Account.filter(handle_key=handle_key)
    if account_id is not None:
        accounts = accounts.exclude(id=account_id)
    return await accounts.exists() or await _held(handle_key)


async def _held(handle_key: str) -> bool:
    return await HandleHold.filter(handle_key=handle_key, held_until__gt=now()).exists()


def check_handle(handle: str) -> None:
    """422 on ``handle`` for one that could pass for an erased account's placeholder."""
    if mimics_placeholder(handle):
        raise invalid("handle", "cannot look like the name of an erased account (deleted-…)")


async def hold_handle(handle: str, days: int) -> None:
    """Keep a departing account's handle, and every look-alike of it, from others for ``days``
    (nobody can pose as the departed)."""
    if days <= 0:
        return
    handle_key = lookalike_key(handle)
    # An expired hold from an earlier owner of the handle or of a look-alike.
    await HandleHold.filter(Q(handle=handle) | Q(handle_key=handle_key)).delete()
    await HandleHold.create(handle=handle, handle_key=handle_key, held_until=now() + timedelta(days=days))


async def create_account(handle: str, password: str, birth_date: date, guardian_consent: bool = False,
                         role: str = "member", *, guardian_email: str | None = None, public_url: str = "",
                         policy_version: str | None = None) -> Account:
    """A new account; 422 for an impossible birth date, a minor without consent and a guardian's email or
    a handle like an erased account's, 409 for a handle that looks like one taken or held. Under 14, it
    reads only until the guardian confirms by the mailed link."""
    today = today_in_china()  # a member turns 14 on their birthday in China
    if birth_date > today or age_on(birth_date, today) > 130:
        raise invalid("birth_date", "must be a real date of birth")
    minor = age_on(birth_date, today) < CONSENT_AGE
    if minor and not guardian_consent:
        raise invalid("guardian_consent", f"members under {CONSENT_AGE} need a guardian's consent")
    if minor and not guardian_email and role == "member":
        raise invalid("guardian_email", f"members under {CONSENT_AGE} name the guardian who confirms by email")
    check_handle(handle)
    if await handle_taken(handle):
        raise conflict(TAKEN)  # before hashing: a taken handle costs no argon2
    password_hash = await hash_password(password)
    handle_key = lookalike_key(handle)
    try:
        async with in_transaction():
            # Signing up accepts the policies in force; a minor waits for the guardian before writing.
            # The unique key makes the database the judge between two look-alikes signing up at once.
            account = await Account.create(handle=handle, handle_key=handle_key, password_hash=password_hash,
                                           birth_date=birth_date, guardian_consent=guardian_consent, role=role,
                                           created_at=now(), awaiting_guardian=bool(minor and guardian_email),
                                           policy_version_accepted=policy_version)
            # After the insert, which waits for an account deletion holding the key: its hold is seen.
            if await _held(handle_key):
                raise conflict(TAKEN)
            if minor and guardian_email:
                await guardians.ask(account, guardian_email, public_url)
            return account
    except IntegrityError:
        raise conflict(TAKEN) from None


async def sign_in(handle: str, password: str, session_days: int, user_agent: str = "") -> tuple[str, Account]:
    """A new bearer token; 401 for a wrong handle or password, alike so neither is revealed.

    The handle is matched exactly as the member chose it, never by its look-alike key: a member
    signs in with their own handle, and no look-alike guess finds an account."""
    account = await Account.get_or_none(handle=handle, status__in=("active", "suspended"))
    stored = account.password_hash if account else ""
    matches, upgraded = await check_password(stored, password)
    if not matches or account is None:
        raise Problem(401, "Wrong handle or password.")
    if upgraded is not None:
        # Only if the hash is still the one checked: a password changed meanwhile wins.
        await Account.filter(id=account.id, password_hash=stored).update(password_hash=upgraded)
    token = new_token()
    moment = now()
    await Session.create(account=account, token_hash=token_hash(token), created_at=moment, last_used_at=moment,
                         expires_at=moment + timedelta(days=session_days), user_agent=user_agent[:200])
    return token, account


async def change_password(account_id: int, current: str, new: str, keep_token: str) -> None:
    """Replace the password; every session but ``keep_token``'s ends. 403 naming the field when ``current`` is wrong."""
    account = await get_account(account_id)
    if not await password_matches(account.password_hash, current):
        raise Problem(403, "The current password does not match.",
                      errors=[{"field": "current_password", "message": "does not match"}])
    new_hash = await hash_password(new)
    async with in_transaction():
        # Only over the hash just checked: of two changes at once, the second finds it gone.
        if not await Account.filter(id=account.id, password_hash=account.password_hash).update(password_hash=new_hash):
            raise conflict("The password changed meanwhile; sign in again.")
        await Session.filter(account_id=account.id).exclude(token_hash=token_hash(keep_token)).delete()


async def sign_out(token: str) -> None:
    await Session.filter(token_hash=token_hash(token)).delete()


async def authenticate(token: str, idle_days: int = 30) -> Principal | None:
    """The principal behind a token, or None when it is unknown, expired, idle too long or its account is gone."""
    if len(token) > 200:
        return None
    # The hottest query of the service: written out by hand, one indexed lookup and a join.
    hashed = token_hash(token)
    rows = await db.connection().execute_query_dict(_SESSION_SQL[db.dialect()], [hashed])
    if not rows:
        return None
    row = rows[0]
    expires = as_datetime(row["expires_at"])
    # Sessions from before last use was recorded count from their creation.
    last_used = as_datetime(row["last_used_at"] or row["created_at"])
    moment = now()
    if row["status"] == "deleted" or expires <= moment or last_used <= moment - timedelta(days=idle_days):
        return None
    if moment - last_used >= LAST_USE_PRECISION:
        await Session.filter(token_hash=hashed).update(last_used_at=moment)
    joined = as_datetime(row["joined_at"])
    return Principal(row["id"], row["handle"], row["role"], row["status"] == "suspended", joined,
                     held_back=held_back(bool(row["awaiting_guardian"]), bool(row["policy_pending"])))


def held_back(awaiting_guardian: bool, policy_pending: bool) -> str:
    """Why an account reads but does not write yet, or empty."""
    if awaiting_guardian:
        return guardians.HELD_BACK
    if policy_pending:
        return ("A new version of the policies awaits your acceptance (PUT /v1/me/consents/{policy_version}, "
                "the version of the newest policy update on GET /v1/announcements): accept it to write again.")
    return ""


async def get_account(account_id: str | int) -> Account:
    """A live account (active or suspended); 404 otherwise."""
    key = id_or_404(account_id, "account")
    account = await Account.get_or_none(id=key, status__in=("active", "suspended"))
    if account is None:
        raise not_found("account")
    return account


async def update_me(account: Account, *, handle: str | None, bio: str | None,
                    avatar_media_id: str | None, clear_avatar: bool) -> Account:
    """Change the handle, bio or avatar; a new handle is refused as at sign-up (422, 409)."""
    changes: dict[str, object] = {}
    handle_key = None
    if handle is not None and handle != account.handle:
        check_handle(handle)
        if await handle_taken(handle, account_id=account.id):
            raise conflict(TAKEN)
        handle_key = lookalike_key(handle)
        changes.update(handle=handle, handle_key=handle_key)
    if bio is not None:
        changes["bio"] = bio
    if avatar_media_id is not None or clear_avatar:
        changes["avatar_media_id"] = avatar_media_id
    if changes:
        try:
            async with in_transaction():
                await Account.filter(id=account.id).update(version=F("version") + 1, **changes)
                if handle_key is not None and await _held(handle_key):
                    raise conflict(TAKEN)
        except IntegrityError:
            raise conflict(TAKEN) from None
        forget_author(account.id)  # author views cached in this process show the change at once
        await account.refresh_from_db()
    return account


async def set_role(account_id: str, role: str, *, version: int | None = None) -> Account:
    """Give the account ``role``; with ``version``, only if the account is still at it (412 otherwise)."""
    account = await get_account(account_id)
    rows = Account.filter(id=account.id) if version is None else Account.filter(id=account.id, version=version)
    if not await rows.update(role=role, version=F("version") + 1):
        raise Problem(412, "The account changed since you read it; fetch it again.")
    await account.refresh_from_db()
    return account


async def set_suspended(account_id: int, suspended: bool) -> None:
    """Suspend (read-only) or reinstate an account; used by moderation's repeat-infringer policy."""
    await Account.filter(id=account_id, status__in=("active", "suspended")).update(
        status="suspended" if suspended else "active", suspended_at=now() if suspended else None)


async def handles(ids: list[int]) -> dict[int, Any]:
    """Live accounts by id, for showing authors: read-only rows with the handle and the avatar."""
    rows = await fetch(Account.filter(id__in=sorted(ids), status__in=("active", "suspended"))
                       .only("id", "handle", "avatar_media_id"))
    return {a.id: a for a in rows}
