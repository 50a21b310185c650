"""Webhooks: a facility's registration, and how deliveries are signed and verified.

A facility registers one HTTPS URL and receives a signing secret, shown once. Every event
for the facility is then POSTed there as JSON::

    POST <url>
    Content-Type: application/json
    Docex-Event-Id: 6f1c…          (the same on every retry: de-duplicate on it)
    Docex-Event-Type: delivery.created
    Docex-Signature: t=1732370000,v1=5d41…

    {"created_at": "…", "data": {…}, "event_id": "6f1c…", "type": "delivery.created"}

``v1`` is the hex HMAC-SHA-256, under the secret, of ``f"{t}."`` followed by the raw body
bytes, where ``t`` is the Unix time of sending. A receiver checks it before parsing the
body (:func:`verify_signature` does exactly this), refuses a ``t`` far from its own
clock, and answers 2xx once the event is safely recorded. Anything else, including a
timeout, is retried with the same ``Docex-Event-Id``; since a delivery may also be
repeated after a crash of the sender, a receiver processes each event id at most once.

The secret is stored in clear: signing needs the key itself (see
:mod:`docex.db.webhooks`). Registering again replaces both URL and secret.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from docex.clock import now_or
from docex.db.engine import flush_or_conflict
from docex.db.webhooks import WebhookSubscription
from docex.domain import MAX_WEBHOOK_URL_LENGTH
from docex.errors import ConflictError, InputError, NotFoundError, WebhookSignatureError
from docex.registry.facilities import get_facility
from docex.settings import Environment, Settings

SIGNATURE_HEADER = "Docex-Signature"
EVENT_ID_HEADER = "Docex-Event-Id"
EVENT_TYPE_HEADER = "Docex-Event-Type"

SECRET_PREFIX = "whsec_"  # noqa: S105  # a public prefix, not a secret
_SECRET_BYTES = 32

DEFAULT_TOLERANCE = timedelta(minutes=5)
"""How far a delivery's signing time may be from the receiver's clock."""


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


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookRecord:
    """A facility's webhook registration; never its secret."""

    id: int
    facility_id: int
    url: str
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, row: WebhookSubscription) -> WebhookRecord:
        """Snapshot of a ``webhook_subscriptions`` row."""
        return cls(
            id=row.id,
            facility_id=row.facility_id,
            url=row.url,
            active=row.active,
            created_at=row.created_at,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisteredWebhook:
    """A fresh registration: the only answer that carries the secret."""

    secret: str = field(repr=False)
    record: WebhookRecord


def register_webhook(
    session: Session,
    *,
    facility_id: int,
    url: str,
    policy: WebhookUrlPolicy,
    now: datetime | None = None,
) -> RegisteredWebhook:
    """Register (or replace) the facility's webhook with a new secret.

    Events already waiting are sent to the new URL, signed with the new secret.
    """
    check_webhook_url(url, policy=policy)
    facility = get_facility(session, facility_id=facility_id)
    if not facility.active:
        raise ConflictError(f"facility {facility.edrpou} is inactive")
    secret = SECRET_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)
    row = session.scalar(
        select(WebhookSubscription).where(WebhookSubscription.facility_id == facility_id)
    )
    if row is None:
        row = WebhookSubscription(facility_id=facility_id)
        session.add(row)
    row.url = url
    row.secret = secret
    row.active = True
    row.created_at = now_or(now)
    flush_or_conflict(session, "the webhook was registered concurrently; register again")
    return RegisteredWebhook(secret=secret, record=WebhookRecord.of(row))


def _active_row(session: Session, facility_id: int) -> WebhookSubscription:
    row = session.scalar(
        select(WebhookSubscription).where(
            WebhookSubscription.facility_id == facility_id, WebhookSubscription.active
        )
    )
    if row is None:
        raise NotFoundError("no webhook is registered for this facility")
    return row


def get_webhook(session: Session, *, facility_id: int) -> WebhookRecord:
    """The facility's active webhook; ``NotFoundError`` if it has none."""
    return WebhookRecord.of(_active_row(session, facility_id))


def delete_webhook(session: Session, *, facility_id: int) -> None:
    """Stop sending events to the facility.

    No new events are recorded for it; those already waiting become dead at their next
    attempt and can be replayed once a webhook is registered again.
    """
    row = _active_row(session, facility_id)
    row.active = False
    session.flush()


def has_active_webhook(session: Session, *, facility_id: int) -> bool:
    """Whether events for the facility are recorded at all."""
    found = session.scalar(
        select(WebhookSubscription.id).where(
            WebhookSubscription.facility_id == facility_id, WebhookSubscription.active
        )
    )
    return found is not None


def event_body(
    *, event_id: str, event_type: str, created_at: datetime, data: Mapping[str, Any]
) -> bytes:
    """The JSON body POSTed for an event; the same bytes on every attempt."""
    document = {
        "event_id": event_id,
        "type": event_type,
        "created_at": created_at.isoformat(),
        "data": data,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(*, secret: str, body: bytes, timestamp: int) -> str:
    """The ``Docex-Signature`` header value for ``body`` sent at Unix time ``timestamp``."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def delivery_headers(
    *, secret: str, event_id: str, event_type: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """Every header a delivery carries, signed at ``timestamp`` (default: now)."""
    when = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        EVENT_ID_HEADER: event_id,
        EVENT_TYPE_HEADER: event_type,
        SIGNATURE_HEADER: sign(secret=secret, body=body, timestamp=when),
    }


def verify_signature(
    *,
    secret: str,
    body: bytes,
    header: str | None,
    now: datetime | None = None,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> None:
    """Check a delivery the way a receiver must; ``WebhookSignatureError`` if it fails.

    ``body`` is the raw request body, before any JSON parsing; ``header`` is the
    ``Docex-Signature`` value. Several ``v1`` entries are accepted, any one matching, so
    that a sender may sign with an old and a new secret while they are rotated.
    """
    if not header:
        raise WebhookSignatureError(f"no {SIGNATURE_HEADER} header")
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise WebhookSignatureError(f"malformed {SIGNATURE_HEADER} header")
        if key == "t":
            if not value.isdigit() or timestamp is not None:
                raise WebhookSignatureError(f"malformed {SIGNATURE_HEADER} timestamp")
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise WebhookSignatureError(f"{SIGNATURE_HEADER} needs t= and v1=")
    moment = now_or(now)
    if abs(moment.timestamp() - timestamp) > tolerance.total_seconds():
        raise WebhookSignatureError("the delivery's signing time is outside the tolerance")
    expected = _mac(secret, timestamp, body)
    # Compare every candidate, so that timing does not tell which one was close.
    matches = [hmac.compare_digest(expected, candidate) for candidate in candidates]
    if not any(matches):
        raise WebhookSignatureError("the delivery's signature does not match")
