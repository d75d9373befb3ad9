"""The client's address behind trusted load balancers (MEIJI_TRUSTED_PROXIES).

A load balancer appends the address it received a request from to ``X-Forwarded-For``; whatever a
client wrote there itself comes before. Reading from the right, every address that is one of our
proxies is skipped, and the first one that is not is the client: nothing a client writes can move
it. A connection from anywhere else is the client itself, whatever headers it sends.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from kernel.settings import Network


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def real_client(peer: str, forwarded_for: Sequence[str], proxies: Sequence[Network]) -> str:
    """The right-most address of the chain ``forwarded_for + [peer]`` that is not a trusted proxy.

    ``forwarded_for`` holds every ``X-Forwarded-For`` header of the request, in order.
    """
    if not proxies or not _trusted(peer, proxies):
        return peer
    chain = [part.strip() for header in forwarded_for for part in header.split(",")]
    client = peer
    for hop in reversed(chain):
        address = _address(hop)
        if address is None:
            # Not an address: the walk ends at the last trusted hop, which then answers for the request.
            return client
        client = address
        if not _trusted(address, proxies):
            return address
    return client


def _address(hop: str) -> str | None:
    """An address from a hop, without the port or brackets a sloppy proxy may add."""
    if hop.startswith("["):
        hop = hop[1:].split("]", 1)[0]
    elif hop.count(":") == 1:
        hop = hop.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(hop))
    except ValueError:
        return None
