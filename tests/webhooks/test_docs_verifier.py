"""The receiver-side verifier in docs/webhooks.md works on what docex really sends."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from docex.webhooks.signing import SIGNATURE_HEADER, delivery_headers

DOC = Path(__file__).parent.parent.parent / "docs" / "webhooks.md"
SECRET = "whsec_docs-example"
EVENT = "6f1c2a9e-0d4b-4c1e-9a55-0b7a1d3e2f10"
BODY = b'{"created_at":"2026-11-23T09:00:00+00:00","data":{},"event_id":"x","type":"t"}'


@pytest.fixture(scope="module")
def verifier() -> dict[str, Any]:
    [code] = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102  # our own documentation
    return namespace


def test_the_documented_verifier_accepts_a_real_delivery(verifier: dict[str, Any]) -> None:
    headers = delivery_headers(secret=SECRET, event_id=EVENT, event_type="t", body=BODY)
    verifier["verify_docex_delivery"](SECRET, EVENT, BODY, headers[SIGNATURE_HEADER])


@pytest.mark.parametrize(
    ("secret", "event_id", "body", "skew", "message"),
    [
        ("whsec_other", EVENT, BODY, 0, "signature does not match"),
        (SECRET, "7f1c2a9e-0d4b-4c1e-9a55-0b7a1d3e2f10", BODY, 0, "signature does not match"),
        (SECRET, EVENT, BODY + b" ", 0, "signature does not match"),
        (SECRET, EVENT, BODY, 600, "signed too long ago (or in the future)"),
        (SECRET, "", BODY, 0, "missing Docex-Event-Id or Docex-Signature"),
    ],
)
def test_the_documented_verifier_refuses(
    verifier: dict[str, Any], secret: str, event_id: str, body: bytes, skew: int, message: str
) -> None:
    headers = delivery_headers(secret=SECRET, event_id=EVENT, event_type="t", body=BODY)
    with pytest.raises(verifier["BadSignature"]) as caught:
        verifier["verify_docex_delivery"](
            secret, event_id, body, headers[SIGNATURE_HEADER], now=time.time() + skew
        )
    assert str(caught.value) == message
