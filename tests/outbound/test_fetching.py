"""The aiohttp session that revocation fetching uses obeys the outbound policy."""

from __future__ import annotations

import asyncio
import ipaddress

import aiohttp
import pytest

from docex.outbound.fetching import policed_session
from docex.outbound.policy import IPAddress, OutboundPolicy
from tests.outbound.rawserver import RawServer, answer, raw_server

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)


def _get(policy: OutboundPolicy, url: str) -> bytes:
    async def fetch() -> bytes:
        session = policed_session(policy)
        try:
            async with session.get(url) as response:
                return await response.read()
        finally:
            await session.close()

    return asyncio.run(fetch())


def _dns(address: str) -> OutboundPolicy:
    """The production policy, with a DNS answering ``address`` for ``crl.example.org``."""

    def resolver(_host: str, _port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(address)]

    return OutboundPolicy(resolver=resolver)


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "127.1", "localhost"])
def test_loopback_urls_are_refused_without_connecting(host: str) -> None:
    with raw_server(answer(200, b"crl")) as server:
        with pytest.raises(aiohttp.ClientConnectionError, match="host"):
            _get(OutboundPolicy(), f"http://{host}:{server.port}/ca.crl")
        assert server.connections == 0


def test_a_name_resolving_to_loopback_is_refused_without_connecting() -> None:
    with raw_server(answer(200, b"crl")) as server:
        with pytest.raises(aiohttp.ClientConnectionError, match="not globally routable"):
            _get(_dns("127.0.0.1"), f"http://crl.example.org:{server.port}/ca.crl")
        assert server.connections == 0


def _loopback_allowed(server: RawServer) -> tuple[OutboundPolicy, str]:
    policy = OutboundPolicy(
        allowed_networks=LOOPBACK,
        resolver=lambda _h, _p: [ipaddress.ip_address("127.0.0.1")],
        max_response_bytes=1000,
    )
    return policy, f"http://crl.example.org:{server.port}/ca.crl"


def test_an_allowed_fetch_connects_to_the_checked_address() -> None:
    with raw_server(answer(200, b"crl bytes")) as server:
        policy, url = _loopback_allowed(server)
        assert _get(policy, url) == b"crl bytes"
        assert f"Host: crl.example.org:{server.port}".encode() in server.heads[0]


def test_redirects_are_refused() -> None:
    with raw_server(answer(302, extra="Location: http://127.0.0.1:1/\r\n")) as server:
        policy, url = _loopback_allowed(server)
        with pytest.raises(aiohttp.ClientConnectionError, match="redirects are not followed"):
            _get(policy, url)
        assert server.connections == 1


def test_a_response_over_the_bound_is_refused() -> None:
    with raw_server(answer(200, b"x" * 5000)) as server:
        policy, url = _loopback_allowed(server)
        with pytest.raises(aiohttp.ClientConnectionError, match="response too large"):
            _get(policy, url)
