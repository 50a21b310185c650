"""The soak's webhook receivers (one per facility, on loopback) and the outbox they drain."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence

from sqlalchemy import text
from tests.servers import free_ports

from docex.db import create_engine_from_url
from docex.settings import Settings

DRAIN_SECONDS = 60.0
"""How long the dispatcher gets after the load to deliver what the outbox holds."""


class Receiver(http.server.ThreadingHTTPServer):
    """A facility's webhook endpoint on loopback that counts what it is sent."""

    def __init__(self) -> None:
        self.deliveries: Counter[str] = Counter()
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", free_ports(1)[0]), _ReceiverHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _ReceiverHandler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # the name http.server dispatches to
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            kind = str(json.loads(body).get("type", "?"))
        except ValueError:
            kind = "unreadable"
        with self.server.lock:
            self.server.deliveries[kind] += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the soak prints its own report


@contextlib.contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.shutdown()
        receiver.server_close()


def outbox_counts(settings: Settings) -> Counter[str]:
    """The outbox's events by status (pending, delivered, dead)."""
    engine = create_engine_from_url(settings.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT status, count(*) FROM outbox_events GROUP BY status")
            ).all()
    finally:
        engine.dispose()
    return Counter({str(status): int(n) for status, n in rows})


def drain(settings: Settings, receivers: Sequence[Receiver]) -> tuple[Counter[str], Counter[str]]:
    """Wait (up to ``DRAIN_SECONDS``) until no event is pending; the outbox and deliveries."""
    deadline = time.monotonic() + DRAIN_SECONDS
    while True:
        outbox = outbox_counts(settings)
        if outbox["pending"] == 0 or time.monotonic() > deadline:
            received: Counter[str] = Counter()
            for receiver in receivers:
                with receiver.lock:
                    received.update(receiver.deliveries)
            return outbox, received
        time.sleep(1.0)
