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


EVENT = "0b5e7c5e-7a0e-4a43-9d1b-2f1f0f7f1c11"


def test_signature_is_hmac_sha256_of_timestamp_event_id_and_body() -> None:
    message = f"{T}.{EVENT}.".encode() + BODY
    expected = hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
    assert sign(secret=SECRET, event_id=EVENT, body=BODY, timestamp=T) == f"t={T},v2={expected}"


def test_the_event_id_is_covered() -> None:
    # A captured delivery replayed under a fresh Docex-Event-Id must not verify, or the
    # receiver's de-duplication would let it take effect again.
    signed = sign(secret=SECRET, event_id=EVENT, body=BODY, timestamp=T)
    other = "1c5e7c5e-7a0e-4a43-9d1b-2f1f0f7f1c11"
    with pytest.raises(WebhookSignatureError, match=r"^the delivery's signature does not match$"):
        verify_signature(secret=SECRET, event_id=other, body=BODY, header=signed, now=AT_T)
    with pytest.raises(WebhookSignatureError, match=r"^no Docex-Event-Id header$"):
        verify_signature(secret=SECRET, event_id=None, body=BODY, header=signed, now=AT_T)


def test_the_old_v1_scheme_is_refused() -> None:
    v1 = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    with pytest.raises(WebhookSignatureError, match=r"^Docex-Signature needs t= and v2=$"):
        verify_signature(
            secret=SECRET, event_id=EVENT, body=BODY, header=f"t={T},v1={v1}", now=AT_T
        )


def test_signed_headers_verify() -> None:
    headers = delivery_headers(
        secret=SECRET, event_id=EVENT, event_type="delivery.created", body=BODY
    )
    assert headers["Content-Type"] == "application/json"
    assert headers["Docex-Event-Id"] == EVENT
    verify_signature(secret=SECRET, event_id=EVENT, body=BODY, header=headers[SIGNATURE_HEADER])


@pytest.mark.parametrize(
    ("secret", "body", "header", "message"),
    [
        (SECRET, BODY + b" ", None, "does not match"),
        ("whsec_other", BODY, None, "does not match"),
        (SECRET, BODY, "", "no Docex-Signature"),
        (SECRET, BODY, "garbage", "malformed"),
        (SECRET, BODY, f"t={T}", "needs t= and v2="),
        (SECRET, BODY, "v2=abcd", "needs t= and v2="),
        (SECRET, BODY, "t=-5,v2=abcd", "timestamp"),
        (SECRET, BODY, f"t={T},t={T},v2=ab", "timestamp"),
    ],
)
def test_bad_signatures_raise(secret: str, body: bytes, header: str | None, message: str) -> None:
    signed = sign(secret=SECRET, event_id=EVENT, body=BODY, timestamp=T)
    with pytest.raises(WebhookSignatureError, match=message):
        verify_signature(
            secret=secret,
            event_id=EVENT,
            body=body,
            header=signed if header is None else header,
            now=AT_T,
        )


def test_stale_or_future_signatures_raise() -> None:
    signed = sign(secret=SECRET, event_id=EVENT, body=BODY, timestamp=T)
    verify_signature(
        secret=SECRET, event_id=EVENT, body=BODY, header=signed, now=AT_T + timedelta(minutes=4)
    )
    for skew in (timedelta(minutes=6), -timedelta(minutes=6)):
        with pytest.raises(WebhookSignatureError, match="tolerance"):
            verify_signature(
                secret=SECRET, event_id=EVENT, body=BODY, header=signed, now=AT_T + skew
            )


def test_any_of_several_v2_signatures_verifies() -> None:
    good = sign(secret=SECRET, event_id=EVENT, body=BODY, timestamp=T).split(",")[1]
    header = f"t={T},v2={'0' * 64},{good}"
    verify_signature(secret=SECRET, event_id=EVENT, body=BODY, header=header, now=AT_T)
