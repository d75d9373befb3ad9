"""The application's collaborators, built once by ``meiji.app.create_app`` and never changed after.

Kept as ``app.state.services``. Rooms never see this type: each names the part it uses as a
Protocol in its ``interfaces.py`` (``ContentServices``, ``MediaServices``, ``SearchServices``,
``ModerationServices``; the kernel's ``KernelServices``), and ``meiji.app`` proves to mypy that this
object is every one of them. A test that needs another collaborator builds a changed copy with
``dataclasses.replace`` rather than changing this one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from starlette.datastructures import State

from content.interfaces import Authors, Notifier, Screener
from kernel.settings import Settings
from kernel.web.auth import Authenticator
from kernel.web.kept import KeptPages
from kernel.web.observability import Metrics
from kernel.web.ratelimit import RateLimiter
from kernel.web.services import Carrier, services_in
from media.interfaces import Attachments, CaseAccess, PhotoReview
from meiji.accounts.authors import AccountDirectory
from meiji.accounts.passwords import HashingPool
from search.interfaces import DocumentSource, SearchIndex

ProfileCounts = Callable[[int], Awaitable[dict[str, int]]]


@dataclass(frozen=True, kw_only=True)
class Services:
    """Every collaborator a room or the kernel is given, typed."""

    settings: Settings
    metrics: Metrics
    rate_limiter: RateLimiter
    authenticate: Authenticator  # a bearer token -> its account, for the kernel
    passwords: HashingPool  # the bounded hashing pool (kept here so its life is the app's)
    media: Attachments
    search: SearchIndex
    documents: DocumentSource  # content's posts as search documents
    accounts: AccountDirectory  # authors for content, account control for moderation
    case_access: CaseAccess  # which case token reads which evidence
    photo_review: PhotoReview  # where uploads held for review are queued for moderators
    notifier: Notifier
    screener: Screener
    profile_counts: ProfileCounts  # published, non-anonymous posts of an author, by kind
    openapi: Mapping[str, object]  # the document served at /openapi.json
    index_owner: bool  # whether this process writes the embedded search index
    kept_pages: KeptPages  # list answers kept until the database changes

    @property
    def authors(self) -> Authors:
        return self.accounts


def services_of(call: Carrier) -> Services:
    """The services object, for the composition root's own routes (operations, accounts, privacy)."""
    found = call.services
    assert isinstance(found, Services)
    return found


def app_services(state: State) -> Services:
    """The services object of an application (CLI commands, background jobs, tests)."""
    found = services_in(state)
    assert isinstance(found, Services)
    return found
