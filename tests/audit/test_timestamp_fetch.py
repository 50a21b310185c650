"""Fetching the checkpoint's time-stamp from a TSA that misbehaves.

A replaying server (a real HTTP server in front of the development TSA, answering every
request with the first response it got) must not get its stale token accepted, nor must
an error page or a refusal pass for a time-stamp.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest
from asn1crypto import tsp

from docex.services.audit_checkpoint import TimestampAuthorityError, fetch_timestamp
from tests.devtsa import DevTsa, serving_dev_tsa

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], list[bytes]]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving(app: Wsgi) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/tsa"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def dev_tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTsa]:
    with serving_dev_tsa(tmp_path_factory.mktemp("dev-tsa")) as served:
        yield served


def answering(status: str, body: bytes) -> Wsgi:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response(status, [("Content-Type", "application/timestamp-reply")])
        return [body]

    return app


def test_a_genuine_token_covers_the_digest(dev_tsa: DevTsa) -> None:
    digest = hashlib.sha256(b"signature").digest()
    token = fetch_timestamp(digest, url=dev_tsa.url, timeout=5)
    info = tsp.TSTInfo.load(
        bytes(tsp.ContentInfo.load(token)["content"]["encap_content_info"]["content"])
    )
    assert info["message_imprint"]["hashed_message"].native == digest


def test_a_replayed_response_is_refused(dev_tsa: DevTsa) -> None:
    replies: list[bytes] = []

    def replaying(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        request = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        if not replies:
            forwarded = httpx.post(
                dev_tsa.url,
                content=request,
                headers={"Content-Type": "application/timestamp-query"},
            )
            replies.append(forwarded.content)
        start_response("200 OK", [("Content-Type", "application/timestamp-reply")])
        return [replies[0]]

    digest = hashlib.sha256(b"signature").digest()
    with serving(replaying) as url:
        fetch_timestamp(digest, url=url, timeout=5)
        with pytest.raises(TimestampAuthorityError, match="does not echo the nonce"):
            fetch_timestamp(digest, url=url, timeout=5)


def test_an_error_page_is_not_a_time_stamp() -> None:
    with (
        serving(answering("503 Service Unavailable", b"down")) as url,
        pytest.raises(TimestampAuthorityError, match="answered HTTP 503"),
    ):
        fetch_timestamp(b"\0" * 32, url=url, timeout=5)


def test_garbage_is_not_a_time_stamp() -> None:
    with (
        serving(answering("200 OK", b"not DER at all")) as url,
        pytest.raises(TimestampAuthorityError, match="time-stamp response is malformed"),
    ):
        fetch_timestamp(b"\0" * 32, url=url, timeout=5)


def test_a_refusal_is_not_a_time_stamp() -> None:
    # TimeStampResp { status PKIStatusInfo { status rejection(2) } }, with no token:
    # written out because asn1crypto will not build a response without one.
    refusal = bytes.fromhex("30053003020102")
    with (
        serving(answering("200 OK", refusal)) as url,
        pytest.raises(TimestampAuthorityError, match="time-stamp authority refused: rejection"),
    ):
        fetch_timestamp(b"\0" * 32, url=url, timeout=5)
