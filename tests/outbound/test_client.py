"""Requests under the outbound policy, against real sockets on 127.0.0.1."""

from __future__ import annotations

import ipaddress
import logging
import socket
import time

import pytest

from docex.outbound.client import FailureKind, OutboundFailedError, request
from docex.outbound.policy import IPAddress, OutboundPolicy
from tests.outbound.rawserver import answer, raw_server

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)


def _receiver_policy(
    calls: list[str], *, timeout: float = 2.0, limit: int = 1000
) -> OutboundPolicy:
    """``receiver.test`` resolves (and may only resolve) to 127.0.0.1; each lookup is counted."""

    def resolver(host: str, _port: int) -> list[IPAddress]:
        calls.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    return OutboundPolicy(
        allowed_hosts=frozenset({"receiver.test"}),
        allow_plain_http=True,
        allowed_networks=LOOPBACK,
        timeout=timeout,
        max_response_bytes=limit,
        resolver=resolver,
    )


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",
        "0x7f000001",
        "127.1",
        "0177.0.0.1",
        "127.0.0.1",
        "localhost",
        "[::ffff:127.0.0.1]",
    ],
)
def test_production_policy_never_connects_to_loopback(host: str) -> None:
    with raw_server(answer(200)) as server:
        with pytest.raises(OutboundFailedError) as caught:
            request(
                "POST", f"https://{host}:{server.port}/hook", policy=OutboundPolicy(), body=b"{}"
            )
        assert caught.value.kind is FailureKind.REFUSED
        assert str(caught.value) == "refused by the outbound policy"
        # Refused before any connection: no ClientHello reached the listener.
        time.sleep(0.2)
        assert server.connections == 0


def test_connects_to_the_checked_address_and_sends_the_name() -> None:
    calls: list[str] = []
    with raw_server(answer(200, b"ok")) as server:
        port = server.port
        response = request(
            "GET", f"http://receiver.test:{port}/x?y=1", policy=_receiver_policy(calls)
        )
    assert (response.status, response.body) == (200, b"ok")
    # Resolved once, and the connection went to that answer: no second lookup to rebind.
    assert calls == ["receiver.test"]
    assert server.heads[0].startswith(b"GET /x?y=1 HTTP/1.1\r\n")
    assert f"Host: receiver.test:{port}\r\n".encode() in server.heads[0]


def test_redirects_are_returned_not_followed() -> None:
    calls: list[str] = []
    with raw_server(answer(302, extra="Location: http://127.0.0.1:1/\r\n")) as server:
        response = request(
            "GET", f"http://receiver.test:{server.port}/", policy=_receiver_policy(calls)
        )
        assert response.status == 302
        assert server.connections == 1


def test_a_trickling_server_is_cut_off_at_the_total_deadline(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def slow_loris(conn: socket.socket) -> None:
        # One byte of the status line every 0.2 s: each read succeeds, none completes.
        for byte in b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 500:
            conn.sendall(bytes([byte]))
            time.sleep(0.2)

    calls: list[str] = []
    with raw_server(slow_loris) as server:
        started = time.monotonic()
        with (
            caplog.at_level(logging.WARNING, logger="docex.outbound"),
            pytest.raises(OutboundFailedError) as caught,
        ):
            request(
                "GET",
                f"http://receiver.test:{server.port}/",
                policy=_receiver_policy(calls, timeout=1.0),
            )
        elapsed = time.monotonic() - started
    assert caught.value.kind is FailureKind.TIMEOUT
    assert elapsed < 1.8
    assert "outbound GET to receiver.test failed (timeout)" in caplog.text


def test_a_response_over_the_bound_is_refused() -> None:
    calls: list[str] = []
    with raw_server(answer(200, b"x" * 1001)) as server:
        with pytest.raises(OutboundFailedError) as caught:
            request("GET", f"http://receiver.test:{server.port}/", policy=_receiver_policy(calls))
    assert caught.value.kind is FailureKind.TOO_LARGE


def test_a_chunked_response_over_the_bound_is_refused() -> None:
    def chunked(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(5):
            conn.sendall(b"190\r\n" + b"y" * 400 + b"\r\n")
        conn.sendall(b"0\r\n\r\n")

    calls: list[str] = []
    with raw_server(chunked) as server:
        with pytest.raises(OutboundFailedError) as caught:
            request("GET", f"http://receiver.test:{server.port}/", policy=_receiver_policy(calls))
    assert caught.value.kind is FailureKind.TOO_LARGE


def test_tls_to_a_plain_server_is_a_tls_failure(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []
    # Answers plain HTTP to the ClientHello, as a non-TLS service on that port would.
    with raw_server(answer(400, b"plain http"), read_head=False) as server:
        with (
            caplog.at_level(logging.WARNING, logger="docex.outbound"),
            pytest.raises(OutboundFailedError) as caught,
        ):
            request(
                "POST",
                f"https://receiver.test:{server.port}/",
                policy=_receiver_policy(calls),
                body=b"{}",
            )
    assert str(caught.value) == "TLS"
    # The details are in the server log, not in what the caller gets.
    assert "SSLError" in caplog.text


def test_refused_and_reset_are_both_unreachable() -> None:
    calls: list[str] = []
    with raw_server(answer(200)) as server:
        port = server.port
    with pytest.raises(OutboundFailedError) as refused:
        request("GET", f"http://receiver.test:{port}/", policy=_receiver_policy(calls))

    def reset(conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()

    with raw_server(reset) as server, pytest.raises(OutboundFailedError) as was_reset:
        request("GET", f"http://receiver.test:{server.port}/", policy=_receiver_policy(calls))
    assert refused.value.kind is FailureKind.UNREACHABLE
    assert was_reset.value.kind in (FailureKind.UNREACHABLE, FailureKind.PROTOCOL)


def test_a_name_that_does_not_resolve_is_unreachable() -> None:
    def nxdomain(host: str, _port: int) -> list[IPAddress]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(OutboundFailedError) as caught:
        request("GET", "https://nowhere.example.org/", policy=OutboundPolicy(resolver=nxdomain))
    assert caught.value.kind is FailureKind.UNREACHABLE


def test_headers_cut_off_at_the_deadline_are_not_a_response() -> None:
    def trickled_headers(conn: socket.socket) -> None:
        # A whole status line at once, then the headers a byte at a time: were the cut-off
        # taken for the end of the headers, this would read as a 200.
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for byte in b"X-Slow: " + b"z" * 500:
            conn.sendall(bytes([byte]))
            time.sleep(0.1)

    calls: list[str] = []
    with raw_server(trickled_headers) as server, pytest.raises(OutboundFailedError) as caught:
        request(
            "POST",
            f"http://receiver.test:{server.port}/",
            policy=_receiver_policy(calls, timeout=0.8),
            body=b"{}",
            read_body=False,
        )
    assert caught.value.kind is FailureKind.TIMEOUT
