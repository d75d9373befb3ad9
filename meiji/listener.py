"""How ``meiji serve`` listens: one uvicorn configuration, and a TCP socket whose connections send at once.

With ``--workers N`` uvicorn binds the listening socket itself and hands it to its worker processes.
It creates that socket with ``proto`` 0, connections accepted from it inherit that value, and asyncio
turns Nagle's algorithm off (``TCP_NODELAY``) only on sockets that say ``IPPROTO_TCP``. With Nagle's
algorithm on, an answer written in two parts (its headers, then its body) waits for the client's
delayed acknowledgement of the first: every request on a kept-alive connection took 44 ms, a lone
``GET`` of an unknown path included (uvicorn issue #3149, open for uvicorn 0.54). One worker is not
affected: there asyncio binds the socket from ``getaddrinfo``, which names the protocol.
"""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

STARTUP_FAILURE = 3  # uvicorn's exit status for a server that could not start


class ServeConfig(uvicorn.Config):
    """uvicorn's configuration, binding a TCP socket that names its protocol."""

    def bind_socket(self) -> socket.socket:
        return named_tcp(super().bind_socket())


def named_tcp(sock: socket.socket) -> socket.socket:
    """``sock`` as a socket object that says ``IPPROTO_TCP`` when it is TCP (the same descriptor)."""
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.proto == socket.IPPROTO_TCP:
        return sock
    named = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    named.set_inheritable(True)  # the worker processes receive it
    return named


def serve(app: str, **options: Any) -> int:
    """Serve ``app`` (an import string) as ``uvicorn.run`` does, on a socket of ``ServeConfig``; the
    exit status."""
    config = ServeConfig(app, **options)
    server = uvicorn.Server(config)
    try:
        if config.workers > 1:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
            return 0
        server.run()
    except KeyboardInterrupt:
        pass
    return 0 if server.started else STARTUP_FAILURE
