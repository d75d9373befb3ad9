"""What the HTTP kernel needs of the application's services object, and how a room reaches it.

The composition root builds one frozen services object and keeps it as ``app.state.services``.
The kernel cannot name its type (it imports no room), so it states here the few parts it reads
itself (settings, rate limits, who a token is, metrics, kept answers) and reads them through ``kernel_services``.
Each room does the same in its ``interfaces.py``: a Protocol of exactly the parts it uses, and one
``services_of(call)`` that narrows ``Call.services`` to it.
"""

from __future__ import annotations

from typing import Protocol, cast

from starlette.datastructures import State

from kernel.settings import Settings
from kernel.web.auth import Authenticator
from kernel.web.kept import KeptPages
from kernel.web.observability import Metrics
from kernel.web.ratelimit import RateLimiter


class KernelServices(Protocol):
    """The parts of the services object the kernel uses on every request."""

    @property
    def settings(self) -> Settings: ...

    @property
    def rate_limiter(self) -> RateLimiter: ...

    @property
    def authenticate(self) -> Authenticator: ...

    @property
    def metrics(self) -> Metrics: ...

    @property
    def kept_pages(self) -> KeptPages: ...


class Carrier(Protocol):
    """Anything that carries the services object: a ``Call``, whatever its body and query."""

    @property
    def services(self) -> object: ...


def services_in(state: State) -> object:
    """The services object the composition root stored in the application's state."""
    found: object = state.services
    return found


def kernel_services(state: State) -> KernelServices:
    """The services object as the kernel sees it (the composition root proves it fits)."""
    return cast(KernelServices, services_in(state))
