"""``meiji serve``'s listening socket: what a worker accepts from it sends at once (Nagle's algorithm off).

With ``--workers N`` uvicorn binds the socket for its workers; bound as uvicorn binds it, connections
kept Nagle's algorithm on and every request on a kept-alive connection waited ~40 ms for the client's
delayed acknowledgement (``meiji/listener.py``).
"""

from __future__ import annotations

import asyncio
import socket

from meiji.listener import ServeConfig


def accepted_nodelay(listening: socket.socket) -> int:
    """TCP_NODELAY on a connection asyncio accepts from ``listening``, as uvicorn's workers accept them."""

    async def run() -> int:
        loop = asyncio.get_running_loop()
        seen: asyncio.Future[int] = loop.create_future()

        class Accepted(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await loop.create_server(Accepted, sock=listening)
        async with server:
            host, port = listening.getsockname()[:2]
            _, writer = await asyncio.open_connection(host, port)
            try:
                return await asyncio.wait_for(seen, 5)
            finally:
                writer.close()

    return asyncio.run(run())


def test_a_socket_bound_without_naming_tcp_leaves_nagle_on_for_its_connections() -> None:
    """Why ``ServeConfig`` exists: asyncio turns Nagle off only on sockets that say IPPROTO_TCP."""
    sock = socket.socket(socket.AF_INET)  # as uvicorn's Config.bind_socket creates it (proto 0)
    sock.bind(("127.0.0.1", 0))
    assert sock.proto == 0
    assert accepted_nodelay(sock) == 0


def test_the_socket_meiji_serve_binds_for_its_workers_sends_at_once() -> None:
    config = ServeConfig("meiji.app:create_app", factory=True, host="127.0.0.1", port=0, workers=2)
    sock = config.bind_socket()
    assert sock.proto == socket.IPPROTO_TCP
    assert sock.get_inheritable()  # handed to the worker processes
    assert accepted_nodelay(sock) == 1
