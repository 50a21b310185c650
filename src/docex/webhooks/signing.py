"""How webhook deliveries are signed, and how a receiver verifies them.

A facility registers one HTTPS URL and receives a signing secret, shown once. Every event
for the facility is then POSTed there as JSON::

    POST <url>
    Content-Type: application/json
    Docex-Event-Id: 6f1c…          (the same on every retry: de-duplicate on it)
    Docex-Event-Type: delivery.created
    Docex-Signature: t=1732370000,v2=5d41…

    {"created_at": "…", "data": {…}, "event_id": "6f1c…", "type": "delivery.created"}

``v2`` is the hex HMAC-SHA-256, under the secret, of ``f"{t}.{event_id}."`` followed by
the raw body bytes, where ``t`` is the Unix time of sending and ``event_id`` the
``Docex-Event-Id`` header. The event id is inside what the MAC covers because receivers
de-duplicate on that header: were it outside, anyone replaying a captured delivery under
a fresh event id would have it processed again. A receiver checks the signature before
parsing the body (:func:`verify_signature` does exactly this; ``docs/webhooks.md`` has a
stand-alone version to copy), refuses a ``t`` far from its own clock, and answers 2xx once
the event is safely recorded. Anything else, including a
timeout, is retried with the same ``Docex-Event-Id``; since a delivery may also be
repeated after a crash of the sender, a receiver processes each event id at most once.

The secret is stored in clear: signing needs the key itself (see
:mod:`docex.db.webhooks`). Registering again (:mod:`docex.webhooks.subscriptions`)
replaces both URL and secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from docex.clock import now_or
from docex.errors import WebhookSignatureError

SIGNATURE_HEADER = "Docex-Signature"
EVENT_ID_HEADER = "Docex-Event-Id"
EVENT_TYPE_HEADER = "Docex-Event-Type"

DEFAULT_TOLERANCE = timedelta(minutes=5)
"""How far a delivery's signing time may be from the receiver's clock."""


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


SCHEME = "v2"
"""The name of the signature entry in ``Docex-Signature``: HMAC-SHA-256 over time, event id
and body. (``v1``, which did not cover the event id, is no longer sent or accepted.)"""


def _mac(secret: str, timestamp: int, event_id: str, body: bytes) -> str:
    # The event id cannot contain ".": it is a UUID, so the fields cannot be shifted.
    message = f"{timestamp}.{event_id}.".encode() + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(*, secret: str, event_id: str, body: bytes, timestamp: int) -> str:
    """The ``Docex-Signature`` value for event ``event_id`` with ``body``, sent at ``timestamp``."""
    if "." in event_id or "," in event_id:
        raise ValueError("an event id must not contain '.' or ','")
    return f"t={timestamp},{SCHEME}={_mac(secret, timestamp, event_id, body)}"


def delivery_headers(
    *, secret: str, event_id: str, event_type: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """Every header a delivery carries, signed at ``timestamp`` (default: now)."""
    when = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        EVENT_ID_HEADER: event_id,
        EVENT_TYPE_HEADER: event_type,
        SIGNATURE_HEADER: sign(secret=secret, event_id=event_id, body=body, timestamp=when),
    }


def verify_signature(
    *,
    secret: str,
    event_id: str | None,
    body: bytes,
    header: str | None,
    now: datetime | None = None,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> None:
    """Check a delivery the way a receiver must; ``WebhookSignatureError`` if it fails.

    ``event_id`` is the ``Docex-Event-Id`` header, ``body`` the raw request body before
    any JSON parsing, ``header`` the ``Docex-Signature`` value. Several ``v2`` entries are
    accepted, any one matching, so that a sender may sign with an old and a new secret
    while they are rotated.
    """
    if not header:
        raise WebhookSignatureError(f"no {SIGNATURE_HEADER} header")
    if not event_id:
        raise WebhookSignatureError(f"no {EVENT_ID_HEADER} header")
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
        elif key == SCHEME:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise WebhookSignatureError(f"{SIGNATURE_HEADER} needs t= and {SCHEME}=")
    moment = now_or(now)
    if abs(moment.timestamp() - timestamp) > tolerance.total_seconds():
        raise WebhookSignatureError("the delivery's signing time is outside the tolerance")
    expected = _mac(secret, timestamp, event_id, body)
    # Compare every candidate, so that timing does not tell which one was close.
    matches = [hmac.compare_digest(expected, candidate) for candidate in candidates]
    if not any(matches):
        raise WebhookSignatureError("the delivery's signature does not match")
