"""Who is calling: the principal behind a bearer token, and the role checks every room uses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request

from kernel.web.problems import Problem

ROLES = ("member", "editor", "moderator", "admin")


@dataclass(frozen=True)
class Principal:
    """The account a request acts for."""

    id: int
    handle: str
    role: str
    suspended: bool = False
    # When the account was made: fresh accounts post less (the ``post_new`` rate-limit bucket).
    joined_at: datetime | None = None
    # Why the account may read but not write yet (a guardian's consent, a new policy to accept); empty: it may.
    held_back: str = ""

    # A suspended account keeps its role on record but none of its rights: a suspended moderator
    # must not keep reading the queue, which shows the real authors of anonymous posts.
    @property
    def is_moderator(self) -> bool:
        return not self.suspended and self.role in ("moderator", "admin")

    @property
    def is_editor(self) -> bool:
        return not self.suspended and self.role in ("editor", "admin")

    def has_role(self, roles: Collection[str]) -> bool:
        return not self.suspended and (self.role == "admin" or self.role in roles)


Authenticator = Callable[[str], Awaitable[Principal | None]]

_SCOPE_KEY = "meiji.principal"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "Use Authorization: Bearer <token>.", headers={"WWW-Authenticate": "Bearer"})
    return token.strip()


async def resolve(request: Request, authenticate: Authenticator) -> Principal | None:
    """The caller, or None when no token was sent; 401 for a token that is not (or no longer) valid."""
    if _SCOPE_KEY in request.scope:
        cached: Principal | None = request.scope[_SCOPE_KEY]
        return cached
    token = bearer_token(request)
    principal = None
    if token is not None:
        principal = await authenticate(token)
        if principal is None:
            raise Problem(401, "The token is not valid or has been revoked.",
                          headers={"WWW-Authenticate": "Bearer"})
    request.scope[_SCOPE_KEY] = principal
    return principal


def principal(request: Request) -> Principal | None:
    """The caller already resolved for this request (None when anonymous)."""
    found: Principal | None = request.scope.get(_SCOPE_KEY)
    return found


def require(found: Principal | None, *, roles: Collection[str] = (), write: bool = False) -> Principal:
    """401 without a principal, 403 when the role lacks the right or a suspended account writes."""
    if found is None:
        raise Problem(401, "Sign in to do this.", headers={"WWW-Authenticate": "Bearer"})
    if roles and not found.has_role(roles):
        if found.suspended:
            raise Problem(403, "This account is suspended: its staff rights are paused.")
        raise Problem(403, "Your role does not allow this.")
    if write and found.suspended:
        raise Problem(403, "This account is suspended: it can read but not write.")
    # A hold (a policy update to accept, a guardian to confirm) keeps a member from writing as a
    # member; a moderator's or an admin's duties (the takedown queue and its deadlines) go on.
    if write and found.held_back and not roles:
        raise Problem(403, found.held_back)
    return found
