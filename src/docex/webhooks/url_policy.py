"""Which URLs a facility may register as its webhook: the outbound URL policy.

docex POSTs to whatever a facility registers, so a URL aimed at docex's own network
(loopback, private, link-local addresses) is refused outside development, as are plain
HTTP, credentials in the URL and fragments.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from docex.domain import MAX_WEBHOOK_URL_LENGTH
from docex.errors import InputError
from docex.settings import Environment, Settings


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookUrlPolicy:
    """Which webhook URLs a deployment accepts.

    HTTPS only, to a public host, by default. A developer's machine may also use plain
    HTTP to a loopback address, so that a receiver can run beside the service.
    """

    allow_loopback_http: bool = False
    """``http://`` to ``localhost`` or a loopback address."""
    allow_private_hosts: bool = False
    """Literal loopback, private and link-local addresses (and ``localhost``) over HTTPS."""

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookUrlPolicy:
        """Lenient in development, strict in production."""
        development = settings.environment is Environment.DEVELOPMENT
        return cls(allow_loopback_http=development, allow_private_hosts=development)


def _host_kind(host: str) -> str:
    """``loopback``, ``private`` (not routable on the internet) or ``public``."""
    if host == "localhost" or host.endswith(".localhost"):
        return "loopback"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "public"  # a DNS name; what it resolves to is checked by no one here
    if address.is_loopback:
        return "loopback"
    if address.is_private or address.is_link_local or address.is_unspecified:
        return "private"
    return "public"


def check_webhook_url(url: str, *, policy: WebhookUrlPolicy) -> str:
    """``url`` if ``policy`` accepts it as a webhook target; ``InputError`` saying why not."""
    if len(url) > MAX_WEBHOOK_URL_LENGTH:
        raise InputError(f"the webhook URL is longer than {MAX_WEBHOOK_URL_LENGTH} characters")
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise InputError("the webhook URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises ValueError for a port out of range
    except ValueError as exc:
        raise InputError(f"the webhook URL is malformed: {exc}") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("https", "http"):
        raise InputError("the webhook URL must start with https://")
    if not host:
        raise InputError("the webhook URL has no host")
    # Credentials in a URL end up in logs and listings; receivers check the signature.
    if "@" in parts.netloc:
        raise InputError("the webhook URL must not carry credentials")
    if parts.fragment:
        raise InputError("the webhook URL must not have a #fragment")
    kind = _host_kind(host)
    if scheme == "http":
        if not (policy.allow_loopback_http and kind == "loopback"):
            raise InputError("the webhook URL must start with https://")
    elif kind != "public" and not policy.allow_private_hosts:
        raise InputError(f"the webhook URL points to a {kind} address")
    return url
