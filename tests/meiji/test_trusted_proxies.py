"""Per-address limits see the real client behind MEIJI_TRUSTED_PROXIES, and nobody else's X-Forwarded-For."""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from kernel.settings import RateLimit, SettingsError, load
from kernel.web.forwarded import real_client
from meiji.app import create_app
from tests.conftest import PASSWORD, base_settings

LIMITS = {"signup": RateLimit(2, 3600)}
BALANCERS = (ipaddress.ip_network("10.0.0.0/8"),)
_handles = itertools.count(1)


def with_peers(app: ASGIApp) -> ASGIApp:
    """The app, with each request's connection address taken from the test's ``X-Test-Peer``.

    One app (one set of windows) answers connections from several addresses, as behind a balancer.
    """
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"x-test-peer":
                    scope = {**scope, "client": (value.decode(), 40000)}
        await app(scope, receive, send)

    return wrapped


@contextmanager
def serving(tmp_path: Path, **overrides: Any) -> Iterator[TestClient]:
    with TestClient(with_peers(create_app(base_settings(tmp_path, **overrides))),
                    raise_server_exceptions=False) as client:
        yield client


def signup(client: TestClient, peer: str, forwarded_for: str | None = None) -> int:
    headers = {"X-Test-Peer": peer}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    r = client.post("/v1/accounts", json={"handle": f"求美者{next(_handles)}", "password": PASSWORD,
                                          "birth_date": "1995-03-08"}, headers=headers)
    assert r.status_code in (201, 429), r.text
    return r.status_code


def test_behind_a_trusted_balancer_each_real_client_has_its_own_allowance(tmp_path: Path) -> None:
    with serving(tmp_path, rate_limits=LIMITS, trusted_proxies=BALANCERS) as app:
        balancer = "10.0.0.5"
        assert [signup(app, balancer, "203.0.113.7") for _ in range(3)] == [201, 201, 429]
        # A neighbour behind the same balancer still signs up: the balancer's address is nobody's.
        assert signup(app, balancer, "198.51.100.9") == 201
        # Writing another address in front changes nothing: the balancer appended the real one last.
        assert signup(app, balancer, "192.0.2.44, 203.0.113.7") == 429
        # Two balancers in a row: both are skipped, the client before them counts.
        assert signup(app, balancer, "203.0.113.7, 10.1.2.3") == 429
        assert signup(app, "10.0.0.6", "198.51.100.9, 10.1.2.3") == 201


def test_forwarded_for_from_anyone_else_is_ignored(tmp_path: Path) -> None:
    with serving(tmp_path, rate_limits=LIMITS, trusted_proxies=BALANCERS) as app:
        # A client that is no balancer cannot pose as many clients to get more sign-ups.
        assert [signup(app, "192.0.2.1", f"203.0.113.{n}") for n in range(3)] == [201, 201, 429]
        # Nor can it spend someone else's allowance: that address still signs up through the balancer.
        assert signup(app, "10.0.0.5", "203.0.113.1") == 201


def test_by_default_no_address_is_trusted(tmp_path: Path) -> None:
    with serving(tmp_path, rate_limits=LIMITS) as app:
        assert [signup(app, "127.0.0.1", f"198.51.100.{n}") for n in range(3)] == [201, 201, 429]


def test_metrics_stay_closed_to_the_public_behind_a_balancer_on_loopback(tmp_path: Path) -> None:
    # The balancer on the same host connects from 127.0.0.1, a network that reads /metrics by default.
    loopback = (ipaddress.ip_network("127.0.0.0/8"),)
    with serving(tmp_path, trusted_proxies=loopback) as app:
        r = app.get("/metrics", headers={"X-Test-Peer": "127.0.0.1", "X-Forwarded-For": "203.0.113.7"})
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
        # The scraper on the host itself still reads them.
        assert app.get("/metrics", headers={"X-Test-Peer": "127.0.0.1"}).status_code == 200


def test_the_right_most_untrusted_hop_is_the_client() -> None:
    proxies = BALANCERS
    assert real_client("10.0.0.5", ["203.0.113.7"], proxies) == "203.0.113.7"
    assert real_client("10.0.0.5", ["1.2.3.4, 203.0.113.7", "10.9.9.9"], proxies) == "203.0.113.7"
    assert real_client("10.0.0.5", ["203.0.113.7:51234"], proxies) == "203.0.113.7"
    assert real_client("10.0.0.5", ["[2001:db8::1]:443"], proxies) == "2001:db8::1"
    assert real_client("10.0.0.5", ["2001:db8::1"], proxies) == "2001:db8::1"
    # Garbage where the balancer's hop should be: the balancer answers for the request.
    assert real_client("10.0.0.5", ["203.0.113.7, 不是地址"], proxies) == "10.0.0.5"
    assert real_client("10.0.0.5", [], proxies) == "10.0.0.5"
    assert real_client("192.0.2.1", ["203.0.113.7"], proxies) == "192.0.2.1"
    assert real_client("10.0.0.5", ["203.0.113.7"], ()) == "10.0.0.5"


def test_the_setting_takes_cidrs_or_none() -> None:
    assert load({"MEIJI_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7"}).trusted_proxies == (
        ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("192.168.1.7/32"))
    assert load({}).trusted_proxies == ()
    assert load({"MEIJI_TRUSTED_PROXIES": "none"}).trusted_proxies == ()
    with pytest.raises(SettingsError, match="MEIJI_TRUSTED_PROXIES"):
        load({"MEIJI_TRUSTED_PROXIES": "负载均衡"})
