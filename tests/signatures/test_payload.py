"""The signed payload read from each kind of signature file."""

from __future__ import annotations

import pytest

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.errors import NotASignatureError
from docex.signatures.limits import LimitExceededError
from docex.signatures.payload import PayloadSource, signed_payload

CONTENT = b'{"resourceType": "ServiceRequest"}'


def test_detached_payload_is_the_given_content(pki: DevPki) -> None:
    signed = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B")
    payload = signed_payload(signed, CONTENT)
    assert (payload.data, payload.source) == (CONTENT, PayloadSource.DETACHED)


def test_attached_payload_is_the_encapsulated_content(pki: DevPki) -> None:
    signed = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B", detached=False)
    payload = signed_payload(signed)
    assert (payload.data, payload.source) == (CONTENT, PayloadSource.ATTACHED)


def test_sealed_envelope_payload_is_the_innermost_content(pki: DevPki) -> None:
    inner = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B", detached=False)
    outer = sign_cades(pki, inner, signer="facility-seal", level="B-B", detached=False)
    assert signed_payload(outer).data == CONTENT


def test_envelope_deeper_than_the_bound_is_refused(pki: DevPki) -> None:
    signed = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B", detached=False)
    for _ in range(2):
        signed = sign_cades(pki, signed, signer="facility-seal", level="B-B", detached=False)
    with pytest.raises(LimitExceededError):
        signed_payload(signed, max_envelope_depth=2)


def test_detached_signature_without_content_is_refused(pki: DevPki) -> None:
    signed = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B")
    with pytest.raises(NotASignatureError, match="needs its content"):
        signed_payload(signed)


def test_attached_signature_with_content_beside_it_is_refused(pki: DevPki) -> None:
    signed = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B", detached=False)
    with pytest.raises(NotASignatureError, match="attached"):
        signed_payload(signed, b"other")
