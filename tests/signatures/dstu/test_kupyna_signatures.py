"""DSTU 4145 with Kupyna-256 (1.2.804.2.1.1.1.1.3.6.1.1), on a certificate made here.

No public sample is signed this way, so the test signs one: it takes jkurwa's self-signed
certificate, gives it a key whose private scalar it knows (on the named m = 257 curve),
switches both algorithm identifiers to DSTU 4145 with Kupyna-256 and signs the new
to-be-signed part as DSTU 4145-2002 §7.2 prescribes (as BouncyCastle's DSTU4145Signer).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from asn1crypto import core, x509

from docex.signatures.dstu import (
    DSTU4145_KUPYNA256_LE,
    DSTU4145_LE,
    GOST34311,
    KUPYNA_256,
    DstuFormatError,
    DstuInvalidSignatureError,
    SignatureEncoding,
    hash_bytes,
    verify,
    verify_certificate_signature,
)
from docex.signatures.dstu.asn1 import AnyPublicKeyInfo, DSTU4145Params
from docex.signatures.dstu.curves import Curve, curve_for
from docex.signatures.dstu.dstu4145 import hash_to_field
from docex.signatures.dstu.named_curves import NAMED_CURVES

SELF_SIGNED = Path(__file__).resolve().parents[2] / "data" / "ua" / "jkurwa" / "SELF_SIGNED1.cer"
CURVE_OID = "1.2.804.2.1.1.1.1.3.1.1.2.6"
D = 0x1F2E3D4C5B6A798817263544536271809AB8C7D6E5F4A3B2C1D0E0F1A2B3C4D5
NONCE = 0x0A1B2C3D4E5F60718293A4B5C6D7E8F90123456789ABCDEF0123456789ABCDEF


def _elements(contents: bytes) -> list[bytes]:
    """The DER elements of a SEQUENCE's contents (definite lengths, one-byte tags)."""
    out, i = [], 0
    while i < len(contents):
        start, size = i, contents[i + 1]
        i += 2
        if size & 0x80:
            count = size & 0x7F
            size = int.from_bytes(contents[i : i + count], "big")
            i += count
        i += size
        out.append(contents[start:i])
    return out


def _sequence(elements: list[bytes]) -> bytes:
    return bytes(core.Sequence(contents=b"".join(elements)).dump())


@pytest.fixture(scope="module")
def curve() -> Curve:
    return curve_for(NAMED_CURVES[CURVE_OID])


def sign(curve: Curve, digest: bytes) -> bytes:
    """``r || s`` in little-endian halves over a hash, with the fixed nonce."""
    n = curve.n
    point = curve.multiply(NONCE, curve.g)
    assert point is not None
    y = curve.field.mul(hash_to_field(digest, curve.field.m), point[0])
    r = y & ((1 << (n.bit_length() - 1)) - 1)
    s = (NONCE + D * r) % n
    return r.to_bytes(32, "little") + s.to_bytes(32, "little")


def spki_der(curve: Curve) -> bytes:
    q = curve.multiply(D, curve.g)
    assert q is not None
    # The public key is Q = -dP, so that sP + rQ = eP.
    minus_q = curve.negate(q)
    assert minus_q is not None  # the negation of a finite point is finite
    point = curve.compress(minus_q).to_bytes(33, "little")
    params = DSTU4145Params({"curve": {"named_curve": CURVE_OID}})
    info = AnyPublicKeyInfo(
        {
            "algorithm": {"algorithm": DSTU4145_LE, "parameters": core.Any.load(params.dump())},
            "public_key": core.OctetString(point).dump(),
        }
    )
    return bytes(info.dump())


def make_certificate(
    curve: Curve, *, algorithm_oid: str = DSTU4145_KUPYNA256_LE, signed_with: str = KUPYNA_256
) -> x509.Certificate:
    original = x509.Certificate.load(SELF_SIGNED.read_bytes())
    tbs = _elements(bytes(original["tbs_certificate"].contents))
    algorithm = _sequence([bytes(core.ObjectIdentifier(algorithm_oid).dump())])
    # tbsCertificate: version, serial, signature, issuer, validity, subject, spki, extensions.
    tbs[2] = algorithm
    tbs[6] = spki_der(curve)
    tbs_der = _sequence(tbs)
    signature = sign(curve, hash_bytes(signed_with, tbs_der))
    value = bytes(core.OctetBitString(core.OctetString(signature).dump()).dump())
    return x509.Certificate.load(_sequence([tbs_der, algorithm, value]))


def test_kupyna_signed_certificate_verifies(curve: Curve) -> None:
    cert = make_certificate(curve)
    assert cert["signature_algorithm"]["algorithm"].dotted == DSTU4145_KUPYNA256_LE
    verify_certificate_signature(cert, cert)


def test_the_digest_follows_the_signature_algorithm(curve: Curve) -> None:
    # Signed over the GOST 34.311 hash but labelled DSTU 4145 with Kupyna-256.
    mislabelled = make_certificate(curve, signed_with=GOST34311)
    with pytest.raises(DstuInvalidSignatureError, match="does not verify"):
        verify_certificate_signature(mislabelled, mislabelled)
    # Labelled DSTU 4145 with GOST 34.311, and signed so: verifies.
    gost = make_certificate(curve, algorithm_oid=DSTU4145_LE, signed_with=GOST34311)
    verify_certificate_signature(gost, gost)


def test_unknown_dstu_signature_variants_are_format_errors(curve: Curve) -> None:
    kupyna_384 = make_certificate(curve, algorithm_oid="1.2.804.2.1.1.1.1.3.6.1.2")
    with pytest.raises(DstuFormatError, match=r"3\.6\.1\.2 is not DSTU 4145"):
        verify_certificate_signature(kupyna_384, kupyna_384)


def test_cms_style_signature_with_kupyna_digest(curve: Curve) -> None:
    message = b"signed attributes stand-in"
    signature = sign(curve, hash_bytes(KUPYNA_256, message))
    verify(spki_der(curve), signature, message, digest_algorithm=KUPYNA_256)
    with pytest.raises(DstuInvalidSignatureError):
        verify(spki_der(curve), signature, message, digest_algorithm=GOST34311)
    with pytest.raises(DstuFormatError, match="not a DER OCTET STRING"):
        verify(
            spki_der(curve),
            signature,
            message,
            digest_algorithm=KUPYNA_256,
            encoding=SignatureEncoding.X509,
        )
