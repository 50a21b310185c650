"""The signature a delivery carries, and its verification as a receiver does it."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from docex.errors import WebhookSignatureError
from docex.webhooks.signing import SIGNATURE_HEADER, delivery_headers, sign, verify_signature

SECRET = "whsec_test-secret"
BODY = b'{"event_id":"e1","type":"delivery.created"}'
T = 1_795_000_000
AT_T = datetime.fromtimestamp(T, UTC)


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(secret=SECRET, body=BODY, timestamp=T) == f"t={T},v1={expected}"


def test_signed_headers_verify() -> None:
    headers = delivery_headers(
        secret=SECRET, event_id="e1", event_type="delivery.created", body=BODY
    )
    assert headers["Content-Type"] == "application/json"
    assert headers["Docex-Event-Id"] == "e1"
    verify_signature(secret=SECRET, body=BODY, header=headers[SIGNATURE_HEADER])


@pytest.mark.parametrize(
    ("secret", "body", "header", "message"),
    [
        (SECRET, BODY + b" ", None, "does not match"),
        ("whsec_other", BODY, None, "does not match"),
        (SECRET, BODY, "", "no Docex-Signature"),
        (SECRET, BODY, "garbage", "malformed"),
        (SECRET, BODY, f"t={T}", "needs t= and v1="),
        (SECRET, BODY, "v1=abcd", "needs t= and v1="),
        (SECRET, BODY, "t=-5,v1=abcd", "timestamp"),
        (SECRET, BODY, f"t={T},t={T},v1=ab", "timestamp"),
    ],
)
def test_bad_signatures_raise(secret: str, body: bytes, header: str | None, message: str) -> None:
    signed = sign(secret=SECRET, body=BODY, timestamp=T)
    with pytest.raises(WebhookSignatureError, match=message):
        verify_signature(
            secret=secret, body=body, header=signed if header is None else header, now=AT_T
        )


def test_stale_or_future_signatures_raise() -> None:
    signed = sign(secret=SECRET, body=BODY, timestamp=T)
    verify_signature(secret=SECRET, body=BODY, header=signed, now=AT_T + timedelta(minutes=4))
    for skew in (timedelta(minutes=6), -timedelta(minutes=6)):
        with pytest.raises(WebhookSignatureError, match="tolerance"):
            verify_signature(secret=SECRET, body=BODY, header=signed, now=AT_T + skew)


def test_any_of_several_v1_signatures_verifies() -> None:
    good = sign(secret=SECRET, body=BODY, timestamp=T).split(",")[1]
    header = f"t={T},v1={'0' * 64},{good}"
    verify_signature(secret=SECRET, body=BODY, header=header, now=AT_T)
