"""A real TCP server for the outbound tests that answers whatever bytes a test scripts.

Each accepted connection reads the request head and then runs the test's ``reply``
with the socket; the server records every connection and every request head, so a
test can tell "refused before connecting" (no connection at all) from everything else.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

Reply = Callable[[socket.socket], None]


def answer(status: int, body: bytes = b"", *, extra: str = "") -> Reply:
    """A reply sending one whole response at once."""

    def reply(conn: socket.socket) -> None:
        head = (
            f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n"
            f"{extra}Connection: close\r\n\r\n"
        )
        conn.sendall(head.encode() + body)

    return reply


@dataclass
class RawServer:
    """Listens on 127.0.0.1; ``heads`` holds each request's head as received."""

    reply: Reply
    read_head: bool = True
    """Read the request head before replying; ``False`` replies at once (not HTTP)."""
    connections: int = 0
    heads: list[bytes] = field(default_factory=list)
    _listener: socket.socket = field(default_factory=socket.socket)
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def serve(self) -> None:
        self._listener.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            head = b""
            try:
                while self.read_head and b"\r\n\r\n" not in head:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    head += chunk
                self.heads.append(head)
                self.reply(conn)
            except OSError:
                pass  # the client hung up, which is what some tests are about


@contextmanager
def raw_server(reply: Reply, *, read_head: bool = True) -> Iterator[RawServer]:
    server = RawServer(reply, read_head=read_head)
    server._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server._listener.bind(("127.0.0.1", 0))
    server._listener.listen(16)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server._stop.set()
        thread.join(timeout=5)
        server._listener.close()
