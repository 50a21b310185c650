"""A real webhook receiver for the tests: the standard library's HTTP server in a thread.

It does what a facility's receiver must: verify the signature on the raw body, then
process each ``Docex-Event-Id`` at most once, answering 2xx for duplicates too. Every
request is recorded, so tests can tell deliveries (``requests``) from effects
(``processed``). It can answer 503 (``failing``) or be stopped entirely and started again
on the same port (``stop``/``start``), which the dispatcher sees as a refused connection.
A test waits for deliveries with ``wait_processed``, woken by each request as it is
recorded rather than polling.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from docex.errors import WebhookSignatureError
from docex.webhooks.signing import EVENT_ID_HEADER, SIGNATURE_HEADER, verify_signature
from tests.servers import free_ports


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event_id(self) -> str:
        return self.headers[EVENT_ID_HEADER.lower()]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1; set ``secret`` before events arrive."""

    secret: str = ""
    failing: bool = False
    """Answer 503 instead of processing."""
    answer: int | None = None
    """Answer this status (with a ``Location``) instead of processing, e.g. a redirect."""
    delay: float = 0.0
    """Seconds to take before answering, as a slow receiver does."""
    port: int = field(default_factory=lambda: free_ports(1)[0])
    requests: list[Received] = field(default_factory=list)
    processed: Counter[str] = field(default_factory=Counter)
    """How many times each event id took effect: 1 each, if de-duplication works."""
    bad_signatures: int = 0
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    # Guards the records above; notified after each request is recorded.
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/docex"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.handle(self.path, headers, body)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", receiver.url + "/moved")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @contextmanager
    def down(self) -> Iterator[None]:
        """Not listening at all for the duration of the block."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self._changed:
            try:
                return self._record(path, headers, body)
            finally:
                self._changed.notify_all()

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> int:
        self.requests.append(Received(path, headers, body))
        if self.failing:
            return 503
        if self.answer is not None:
            return self.answer
        try:
            verify_signature(
                secret=self.secret,
                event_id=headers.get(EVENT_ID_HEADER.lower()),
                body=body,
                header=headers.get(SIGNATURE_HEADER.lower()),
            )
        except WebhookSignatureError:
            self.bad_signatures += 1
            return 401
        event_id = headers[EVENT_ID_HEADER.lower()]
        if event_id not in self.processed:
            self.processed[event_id] += 1  # the "effect": done once per event
        return 200

    def wait_processed(self, count: int, *, timeout: float = 15.0) -> None:
        """Return once ``count`` distinct events have taken effect; fail after ``timeout`` s.

        :raises AssertionError: the events did not arrive in time; the message says how
            many did, and what else the receiver saw.
        """
        with self._changed:
            if self._changed.wait_for(lambda: len(self.processed) >= count, timeout=timeout):
                return
            raise AssertionError(
                f"webhook receiver {self.url}: {len(self.processed)} of {count} events "
                f"processed after {timeout:g} s ({len(self.requests)} requests, "
                f"{self.bad_signatures} with a bad signature)"
            )

    @property
    def delivery_counts(self) -> Counter[str]:
        """How many requests carried each event id (duplicates included)."""
        return Counter(r.event_id for r in self.requests if EVENT_ID_HEADER.lower() in r.headers)


@contextmanager
def running_receiver(secret: str = "") -> Iterator[Receiver]:
    receiver = Receiver(secret=secret)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
