"""Which URLs docex may contact, and which network addresses behind them.

A URL passes in two stages. :func:`check_url` looks at the text alone: the scheme, no
credentials or fragment, and a *canonical* host name: lower-case LDH labels, at least
two of them, the last starting with a letter. That refuses every spelling of an address
that resolvers and browsers accept but a reader does not recognise (``2130706433``,
``0x7f000001``, ``127.1``, ``0177.0.0.1``), address literals in general, and single-label
names of internal services (``minio``, ``localhost``). :func:`resolve` then runs at
connection time: every address the name resolves to must be globally routable (not
loopback, private, shared 100.64/10, link-local, multicast or reserved, also when
embedded in an IPv6 address), and the caller connects to those checked addresses, not to
the name again, so DNS cannot answer differently between check and use.

A development deployment names its exceptions explicitly (:attr:`OutboundPolicy.allowed_hosts`,
:attr:`OutboundPolicy.allowed_networks`); nothing is lenient by default.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from docex.errors import InputError

if TYPE_CHECKING:
    from docex.settings import Settings
    from docex.verifier_settings import VerifierSettings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_URL_LENGTH = 2048

DEVELOPMENT_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
"""What a development deployment may contact beyond the allow-list: its own machine."""
DEVELOPMENT_NETWORKS: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# The last label of a public name is a top-level domain: letters, or an IDNA A-label.
# Requiring a leading letter is what refuses numeric spellings of addresses.
_TOP_LABEL = re.compile(r"(?:[a-z][a-z0-9-]{0,61}[a-z0-9]|[a-z])")


class OutboundRefusedError(InputError):
    """The outbound policy refuses a URL or the addresses its host resolves to."""

    code = "outbound-refused"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundPolicy:
    """What docex may contact, and how much it will wait for and read.

    The defaults are the production policy: HTTPS (or plain HTTP where the caller allows
    it, as for OCSP and CRLs, which are signed data) to public names resolving only to
    globally routable addresses.
    """

    allowed_hosts: frozenset[str] = frozenset()
    """Names accepted although not canonical public names (``localhost``, ``minio``,
    ``127.0.0.1``): for receivers beside a development deployment. Their addresses must
    still be global or inside :attr:`allowed_networks`."""
    allowed_networks: tuple[IPNetwork, ...] = ()
    """Non-global networks that may nevertheless be contacted (development only)."""
    allow_plain_http: bool = False
    """``http://`` to an allowed host, where the caller would otherwise require HTTPS."""
    timeout: float = 10.0
    """Seconds one request may take in total: resolution, connection, TLS, sending, the
    response's headers and body together, however slowly a server trickles them."""
    max_response_bytes: int = 4 * 1024 * 1024
    """The most bytes of a response body that are read; more is a failure."""
    resolver: Callable[[str, int], list[IPAddress]] | None = field(
        default=None, compare=False, repr=False
    )
    """``(host, port) -> addresses``; the system resolver when ``None`` (tests give one
    that answers what an attacker's DNS would)."""

    @classmethod
    def from_settings(
        cls, settings: Settings | VerifierSettings, *, timeout: float | None = None
    ) -> OutboundPolicy:
        """The deployment's policy (``outbound_*`` settings); ``timeout`` overrides theirs.

        A development deployment may also reach its own machine (receivers run beside
        it); production reaches only what the allow-lists name beyond the public internet.
        """
        # Compared by value: importing docex.settings here would pull the database
        # libraries into the verifier's imports.
        development = str(settings.environment) == "development"
        hosts = {h.lower() for h in settings.outbound_allowed_hosts}
        networks = [
            ipaddress.ip_network(n, strict=False) for n in settings.outbound_allowed_networks
        ]
        if development:
            hosts |= DEVELOPMENT_HOSTS
            networks.extend(DEVELOPMENT_NETWORKS)
        return cls(
            allowed_hosts=frozenset(hosts),
            allowed_networks=tuple(networks),
            allow_plain_http=bool(hosts),
            timeout=settings.outbound_timeout_seconds if timeout is None else timeout,
            max_response_bytes=settings.outbound_max_response_bytes,
        )

    def permits_address(self, address: IPAddress) -> bool:
        """Whether ``address`` may be connected to: global, or in an allowed network."""
        if any(address in network for network in self.allowed_networks):
            return True
        return is_globally_routable(address)


@dataclass(frozen=True, slots=True)
class CheckedUrl:
    """A URL the policy accepted, split into what a connection needs."""

    url: str
    scheme: str
    host: str
    """Lower-case, without a trailing dot; an address literal only if allow-listed."""
    port: int
    target: str
    """Path and query, as sent in the request line."""


def is_globally_routable(address: IPAddress) -> bool:
    """Whether ``address`` is reachable on the public internet, as IANA's registries say.

    ``ipaddress``'s ``is_global`` already excludes loopback, private, shared (100.64/10),
    link-local, documentation and reserved ranges; multicast is excluded here, and an IPv4
    address embedded in IPv6 (mapped, 6to4, Teredo) must itself be global.
    """
    if address.is_multicast or not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = [address.ipv4_mapped, address.sixtofour]
        if address.teredo is not None:
            embedded.extend(address.teredo)
        return all(e is None or is_globally_routable(e) for e in embedded)
    return True


def _canonical_host(host: str, policy: OutboundPolicy, subject: str) -> str:
    if host in policy.allowed_hosts:
        return host
    if not host.isascii():
        raise OutboundRefusedError(f"{subject}'s host must be an ASCII (IDNA A-label) name")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise OutboundRefusedError(f"{subject}'s host must be a name, not an address")
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2:
        raise OutboundRefusedError(f"{subject}'s host must be a fully qualified public name")
    if not all(_LABEL.fullmatch(label) for label in labels[:-1]) or not _TOP_LABEL.fullmatch(
        labels[-1]
    ):
        raise OutboundRefusedError(f"{subject}'s host is not a canonical host name")
    if labels[-1] == "localhost":
        raise OutboundRefusedError(f"{subject}'s host must be a fully qualified public name")
    return host


def check_url(
    url: str,
    *,
    policy: OutboundPolicy,
    schemes: frozenset[str] = frozenset({"https"}),
    subject: str = "the URL",
) -> CheckedUrl:
    """``url`` split, if ``policy`` accepts it for ``schemes``; ``OutboundRefusedError`` if not.

    Only the text is judged here; :func:`resolve` judges the addresses at connection time.
    ``subject`` names the URL in messages (``"the webhook URL"``).
    """
    if len(url) > MAX_URL_LENGTH:
        raise OutboundRefusedError(f"{subject} is longer than {MAX_URL_LENGTH} characters")
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise OutboundRefusedError(f"{subject} contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefusedError(f"{subject} is malformed: {exc}") from None
    scheme = parts.scheme.lower()
    plain_http_possible = policy.allow_plain_http and bool(policy.allowed_hosts)
    if scheme not in schemes and not (scheme == "http" and plain_http_possible):
        raise OutboundRefusedError(f"{subject} must start with https://")
    if "@" in parts.netloc:
        # Credentials in a URL end up in logs and listings.
        raise OutboundRefusedError(f"{subject} must not carry credentials")
    if parts.fragment:
        raise OutboundRefusedError(f"{subject} must not have a #fragment")
    raw_host = (parts.hostname or "").lower()
    if not raw_host:
        raise OutboundRefusedError(f"{subject} has no host")
    host = _canonical_host(raw_host.removesuffix("."), policy, subject)
    if scheme not in schemes and host not in policy.allowed_hosts:
        # Plain HTTP only to the allow-listed hosts, never to the internet.
        raise OutboundRefusedError(f"{subject} must start with https://")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    default_port = 443 if scheme == "https" else 80
    return CheckedUrl(url=url, scheme=scheme, host=host, port=port or default_port, target=target)


def _system_resolve(host: str, port: int) -> list[IPAddress]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[IPAddress] = []
    for *_, sockaddr in infos:
        # Scope ids (fe80::1%eth0) are dropped: such an address is link-local anyway.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in seen:
            seen.append(address)
    return seen


class ResolutionTimeoutError(OSError):
    """The name did not resolve within the deadline."""


def resolve(checked: CheckedUrl, *, policy: OutboundPolicy, timeout: float) -> list[IPAddress]:
    """The addresses to connect to for ``checked``; ``OutboundRefusedError`` unless every
    one of them is permitted (one bad address is enough to refuse: a resolver may rotate).

    :raises OSError: the name does not resolve (``ResolutionTimeoutError`` within ``timeout``).
    """
    try:
        literal: IPAddress | None = ipaddress.ip_address(checked.host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        resolver = policy.resolver or _system_resolve
        addresses = _resolve_within(resolver, checked.host, checked.port, timeout)
    if not addresses:
        raise OSError(f"{checked.host} has no address")
    refused = [a for a in addresses if not policy.permits_address(a)]
    if refused:
        raise OutboundRefusedError(
            f"{checked.host} resolves to an address that is not globally routable ({refused[0]})"
        )
    return addresses


def _resolve_within(
    resolver: Callable[[str, int], list[IPAddress]], host: str, port: int, timeout: float
) -> list[IPAddress]:
    # getaddrinfo cannot be interrupted; it runs in a daemon thread so that a resolver
    # that never answers costs a thread for a while, not the caller's deadline.
    result: list[list[IPAddress]] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(resolver(host, port))
        except (OSError, UnicodeError) as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, name="docex-resolve", daemon=True)
    thread.start()
    thread.join(timeout)
    if failure:
        raise OSError(str(failure[0])) from failure[0]
    if not result:
        raise ResolutionTimeoutError(f"{host} did not resolve within {timeout:g} s")
    return result[0]
