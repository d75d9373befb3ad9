"""Members for the community tests, made straight in the database.

``sign_up`` goes through HTTP and hashes the password twice with argon2 (~0.6 s a member); these
tests need many members and test content, not sign-up, so the password is hashed once per run.
Accounts sign-up and sign-in are tested in tests/meiji/.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import date, timedelta
from functools import cache

from starlette.testclient import TestClient

from tests.conftest import PASSWORD, Member

_numbers = itertools.count(1)


@cache
def _password_hash() -> str:
    from meiji.accounts.services import hasher

    return hasher.hash(PASSWORD)


def person(client: TestClient, role: str = "member") -> Member:
    """A member with a live token (password ``PASSWORD``), as fast as two inserts."""
    from kernel.clock import now
    from kernel.tokens import token_hash
    from meiji.accounts.models import Account, Session

    handle = f"社区{next(_numbers)}号"
    token = secrets.token_urlsafe(32)

    async def make() -> int:
        moment = now()
        account = await Account.create(handle=handle, password_hash=_password_hash(), birth_date=date(1993, 6, 1),
                                       role=role, created_at=moment)
        await Session.create(account=account, token_hash=token_hash(token), created_at=moment,
                             expires_at=moment + timedelta(days=30))
        return account.id

    portal = client.portal
    assert portal is not None
    account_id = portal.call(make)
    # Each test has a fresh database, so ids repeat across tests: drop any author view that the
    # process-wide cache of content.visibility still holds for this id from an earlier test.
    import content.visibility

    forget = getattr(content.visibility, "forget_author", None)
    if forget is not None:
        forget(account_id)
    return Member(str(account_id), handle, token)
