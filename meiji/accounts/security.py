"""The member's own account security: sessions, an email address, forgotten passwords, corrections.

Codes and reset tokens are random, stored only as their SHA-256, and never logged; the mail that
carries them goes through the delivery outbox in the same transaction that stores them.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import date, timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from kernel.clock import now, today_in_china
from kernel.tokens import new_token, token_hash
from kernel.web.ids import parse_id
from kernel.web.problems import conflict, invalid, not_found
from meiji.accounts.models import HANDLE_MAX, Account, AccountCorrection, EmailChallenge, PasswordReset, Session
from meiji.accounts.services import CONSENT_AGE, age_on, get_account, hash_password
from meiji.delivery.outbox import email_account

log = logging.getLogger("meiji.accounts")

CODE_MINUTES = 30
CODE_ATTEMPTS = 5
RESET_MINUTES = 30


# --- sessions ---------------------------------------------------------------------------------

async def sessions(account_id: int, current_token: str) -> list[dict[str, object]]:
    """The account's live sessions, newest first; ``current`` marks the caller's."""
    mine = token_hash(current_token)
    rows = await Session.filter(account_id=account_id, expires_at__gt=now()).order_by("-id")
    return [{"id": str(s.id), "created_at": s.created_at, "last_used_at": s.last_used_at or s.created_at,
             "user_agent": s.user_agent, "current": hmac.compare_digest(s.token_hash, mine)} for s in rows]


async def revoke(account_id: int, session_id: str) -> None:
    """End one of the account's sessions at once; 404 for any other id (another's session included)."""
    key = parse_id(session_id)
    if key is None or not await Session.filter(id=key, account_id=account_id).delete():
        raise not_found("session")


# --- email ------------------------------------------------------------------------------------

def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


async def request_email(account_id: int, address: str) -> None:
    """Send a code to ``address``; it becomes the account's verified email when the code comes back."""
    code = new_code()
    async with in_transaction():
        await EmailChallenge.filter(account_id=account_id).delete()
        await EmailChallenge.create(account_id=account_id, email=address, code_hash=token_hash(code),
                                    expires_at=now() + timedelta(minutes=CODE_MINUTES))
        await email_account(account_id, "email_code", {"code": code}, address=address)


async def verify_email(account_id: int, code: str) -> None:
    """Make the challenged address the account's; 422 naming ``code`` when it is wrong or stale."""
    challenge = await EmailChallenge.get_or_none(account_id=account_id)
    if challenge is None or challenge.expires_at <= now() or challenge.attempts >= CODE_ATTEMPTS:
        raise invalid("code", "no code is waiting: ask for a new one with PUT /v1/me/email")
    if not hmac.compare_digest(challenge.code_hash, token_hash(code)):
        await EmailChallenge.filter(id=challenge.id).update(attempts=F("attempts") + 1)
        raise invalid("code", "does not match")
    async with in_transaction():
        if await Account.filter(email=challenge.email, email_verified_at__isnull=False).exclude(id=account_id) \
                .exists():
            raise conflict("Another account uses this email address.")
        await Account.filter(id=account_id).update(email=challenge.email, email_verified_at=now(),
                                                   version=F("version") + 1)
        await EmailChallenge.filter(id=challenge.id).delete()


# --- forgotten passwords ----------------------------------------------------------------------

async def _account_for(login: str) -> Account | None:
    live = ("active", "suspended")
    if "@" not in login and len(login) > HANDLE_MAX:
        return None  # no handle is that long (and Tortoise refuses to look one up)
    if "@" in login:
        return await Account.filter(email=login, email_verified_at__isnull=False, status__in=live).first()
    return await Account.get_or_none(handle=login, status__in=live)


async def request_reset(login: str, public_url: str) -> None:
    """Mail a one-time link to the account's verified address; nothing at all when there is none.

    The caller answers 202 either way, so the answer never tells whether an account exists.
    """
    account = await _account_for(login)
    if account is None or not account.email or account.email_verified_at is None:
        return
    token = new_token()
    moment = now()
    async with in_transaction():
        await PasswordReset.create(account_id=account.id, token_hash=token_hash(token), created_at=moment,
                                   expires_at=moment + timedelta(minutes=RESET_MINUTES))
        await email_account(account.id, "password_reset", {"link": f"{public_url}/v1/password-resets/{token}"})


async def reset_password(token: str, new_password: str) -> None:
    """Set the password with a reset link: once only, within 30 minutes; every session ends. 404 otherwise."""
    if len(token) > 200:
        raise not_found("password reset")
    hashed = token_hash(token)
    reset = await PasswordReset.get_or_none(token_hash=hashed, used_at__isnull=True, expires_at__gt=now())
    if reset is None:
        raise not_found("password reset")
    new_hash = await hash_password(new_password)
    async with in_transaction():
        # Used up by one conditional update: of two requests with the same link, one wins.
        if not await PasswordReset.filter(id=reset.id, used_at__isnull=True).update(used_at=now()):
            raise not_found("password reset")
        if not await Account.filter(id=reset.account_id, status__in=("active", "suspended")).update(
                password_hash=new_hash):
            raise not_found("password reset")
        await Session.filter(account_id=reset.account_id).delete()
        # Any other link sent before is dead too: the password they were for is gone.
        await PasswordReset.filter(account_id=reset.account_id, used_at__isnull=True).update(used_at=now())
    log.info("password reset for account %d; every session ended", reset.account_id)


# --- corrections ------------------------------------------------------------------------------

async def correct_birth_date(account_id: int, birth_date: date, reason: str) -> Account:
    """Correct the birth date once, keeping the reason; 409 the second time."""
    account = await get_account(account_id)
    today = today_in_china()  # a member turns 14 on their birthday in China
    if birth_date > today or age_on(birth_date, today) > 130:
        raise invalid("birth_date", "must be a real date of birth")
    if age_on(birth_date, today) < CONSENT_AGE and not account.guardian_consent:
        raise invalid("birth_date", f"members under {CONSENT_AGE} need a guardian's consent")
    async with in_transaction():
        changed = await Account.filter(id=account.id, birth_date_corrected_at__isnull=True).update(
            birth_date=birth_date, birth_date_corrected_at=now(), version=F("version") + 1)
        if not changed:
            raise conflict("The birth date was corrected once already; write to support for another change.")
        await AccountCorrection.create(account_id=account.id, field="birth_date",
                                       old_value=account.birth_date.isoformat() if account.birth_date else None,
                                       new_value=birth_date.isoformat(), reason=reason, at=now())
    # The reason is kept in the corrections table; the log says that it happened, never the dates.
    log.info("birth date corrected for account %d", account.id)
    await account.refresh_from_db()
    return account
