"""A TCP relay in front of a real server that a test can cut: the server "stops" without losing its data.

``down()`` closes the listening socket (new connections are refused, as by a stopped process) and
resets every open connection; ``up()`` listens again on the same port. ``allow(n)`` lets ``n`` more
connections through and resets every one after them, which fails an operation half-way: the first
writes of an upload reach the server, the next ones do not.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
from collections.abc import Iterator

from tests.servers import free_port


def _reset(sock: socket.socket) -> None:
    """Close with RST rather than FIN, as a dying process's kernel does to a half-done exchange."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class Switch:
    def __init__(self, upstream_port: int) -> None:
        self.upstream = upstream_port
        self.port = free_port()
        self.budget: int | None = None  # connections still let through; None: all of them
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        self.listener: socket.socket | None = None
        self.thread: threading.Thread | None = None
        self.up()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> None:
        with self.lock:
            self.budget = None
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self.listener = listener
        self.thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self.thread.start()

    def down(self) -> None:
        listener, self.listener = self.listener, None
        if self.thread is not None:
            self.thread.join(5)
        if listener is not None:
            listener.close()
        with self.lock:
            dying, self.open = self.open, set()
        for sock in dying:
            _reset(sock)

    def allow(self, connections: int) -> None:
        with self.lock:
            self.budget = connections

    def _accept(self, listener: socket.socket) -> None:
        while self.listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self.lock:
                refused = self.budget is not None and self.budget <= 0
                if self.budget is not None:
                    self.budget -= 1
            if refused:
                _reset(client)
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream), timeout=5)
            except OSError:
                _reset(client)
                continue
            server.settimeout(None)
            client.settimeout(None)
            with self.lock:
                self.open |= {client, server}
            threading.Thread(target=self._relay, args=(client, server), daemon=True).start()

    def _relay(self, client: socket.socket, server: socket.socket) -> None:
        try:
            while True:
                readable, _, _ = select.select([client, server], [], [], 0.5)
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    (server if source is client else client).sendall(data)
        except (OSError, ValueError):
            return  # reset by down(), or by either end
        finally:
            with self.lock:
                self.open -= {client, server}
            client.close()
            server.close()

    def close(self) -> None:
        self.down()


@contextlib.contextmanager
def switch(upstream_port: int) -> Iterator[Switch]:
    relay = Switch(upstream_port)
    try:
        yield relay
    finally:
        relay.close()
