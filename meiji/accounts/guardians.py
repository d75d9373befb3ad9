"""A guardian's consent for a member under 14 (PIPL art. 31): asked by email, confirmed by its link.

Until the guardian confirms, the account reads but does not write. The consent record keeps who
was asked (the guardian's address) and when they confirmed; the link's token is stored only as
its SHA-256 and never logged.
"""

from __future__ import annotations

import logging

from kernel.clock import now
from kernel.tokens import new_token, token_hash
from kernel.web.problems import not_found
from meiji.accounts.models import Account, GuardianConsent
from meiji.delivery.outbox import email_account

log = logging.getLogger("meiji.accounts")

HELD_BACK = "This account waits for a guardian's consent: it can read, and write once the guardian confirms."


async def ask(account: Account, guardian_email: str, public_url: str) -> None:
    """Mail the guardian a link to confirm (in the caller's transaction, with the account itself)."""
    token = new_token()
    await GuardianConsent.create(account_id=account.id, guardian_email=guardian_email, token_hash=token_hash(token),
                                 requested_at=now())
    await email_account(account.id, "guardian_consent",
                        {"handle": account.handle, "link": f"{public_url}/v1/guardian-consents/{token}"},
                        address=guardian_email)


async def consent_for(token: str) -> tuple[GuardianConsent, Account]:
    """The consent a link asks for; 404 for any unknown link or a departed account."""
    consent = await GuardianConsent.get_or_none(token_hash=token_hash(token)) if len(token) <= 200 else None
    account = await Account.get_or_none(id=consent.account_id, status__in=("active", "suspended")) if consent \
        else None
    if consent is None or account is None:
        raise not_found("consent request")
    return consent, account


async def confirm(token: str) -> GuardianConsent:
    """The guardian confirms: the account may write from now on. Confirming again changes nothing."""
    consent, account = await consent_for(token)
    if consent.confirmed_at is None:
        consent.confirmed_at = now()
        await consent.save(update_fields=["confirmed_at"])
        await Account.filter(id=account.id).update(awaiting_guardian=False)
        log.info("guardian consent confirmed for account %d", account.id)
    return consent
