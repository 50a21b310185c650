"""Revocation and issuer fetching (OCSP, CRL, AIA) for pyhanko-certvalidator, under the
outbound policy.

certvalidator's aiohttp fetchers do the protocol work; what this module gives them is an
``aiohttp`` session that cannot be aimed at docex's own network:

- every request's URL passes :func:`~docex.outbound.policy.check_url` (canonical host
  names, plain HTTP allowed since OCSP responses and CRLs are signed data) before a
  connection is made;
- names resolve through :func:`~docex.outbound.policy.resolve`, so every address must be
  globally routable, and aiohttp connects to the addresses returned (its DNS cache is off,
  so nothing resolves the name a second time);
- redirects are refused, bodies are cut off at the policy's size bound, and the policy's
  timeout is the total for each request.

A refusal surfaces to certvalidator as a failed fetch (an ``aiohttp.ClientError``), which
leaves the revocation status unknown: validation fails closed. aiohttp is imported only
when online fetching is actually used.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from typing import TYPE_CHECKING, Any

from docex.outbound.policy import OutboundPolicy, OutboundRefusedError, check_url, resolve

if TYPE_CHECKING:
    import aiohttp

log = logging.getLogger("docex.outbound")

_SCHEMES = frozenset({"http", "https"})


def policed_session(policy: OutboundPolicy) -> aiohttp.ClientSession:
    """An aiohttp session whose every request obeys ``policy``; the caller closes it.

    Must be called with an event loop running (from the coroutine that will use it).
    """
    import aiohttp
    from aiohttp.abc import AbstractResolver, ResolveResult

    class Refused(aiohttp.ClientConnectionError):
        """The outbound policy refused the request (caught by certvalidator's fetchers)."""

    class PolicyResolver(AbstractResolver):
        async def resolve(
            self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
        ) -> list[ResolveResult]:
            try:
                checked = check_url(f"http://{host}:{port or 80}/", policy=policy, schemes=_SCHEMES)
                addresses = await asyncio.to_thread(
                    resolve, checked, policy=policy, timeout=policy.timeout
                )
            except OutboundRefusedError as exc:
                log.warning("outbound fetch refused: %s", exc)
                raise Refused(str(exc)) from None
            return [
                ResolveResult(
                    hostname=host,
                    host=str(address),
                    port=port,
                    family=socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                    proto=0,
                    flags=socket.AI_NUMERICHOST,
                )
                for address in addresses
            ]

        async def close(self) -> None:
            """Nothing is held."""

    async def on_request_start(_session: Any, context: Any, params: Any) -> None:
        context.received = 0
        try:
            checked = check_url(str(params.url), policy=policy, schemes=_SCHEMES)
            try:
                ipaddress.ip_address(checked.host)
            except ValueError:
                return  # a name: PolicyResolver checks what it resolves to
            # aiohttp does not resolve address literals, so they are checked here.
            resolve(checked, policy=policy, timeout=policy.timeout)
        except OutboundRefusedError as exc:
            log.warning("outbound fetch refused: %s", exc)
            raise Refused(str(exc)) from None

    async def on_request_redirect(_session: Any, _context: Any, params: Any) -> None:
        log.warning("outbound fetch of %s answered a redirect, not followed", params.url.host)
        raise Refused("redirects are not followed")

    async def on_response_chunk_received(_session: Any, context: Any, params: Any) -> None:
        context.received += len(params.chunk)
        if context.received > policy.max_response_bytes:
            log.warning("outbound fetch of %s: response over the size bound", params.url.host)
            raise Refused("response too large")

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    trace.on_request_redirect.append(on_request_redirect)
    trace.on_response_chunk_received.append(on_response_chunk_received)
    connector = aiohttp.TCPConnector(resolver=PolicyResolver(), use_dns_cache=False)
    return aiohttp.ClientSession(
        connector=connector,
        trace_configs=[trace],
        timeout=aiohttp.ClientTimeout(total=policy.timeout),
    )
