"""Real Ukrainian certificates, CRL and CAdES signatures (tests/data/ua, see its README).

Every DSTU 4145 signature here is checked with the key of who made it: the CA certificates
with their issuer's key (Дія's CA under the central root's m = 431 key), the end-entity,
OCSP and TSP certificates, the CRL, each CMS signer over its signed attributes and the
time-stamp token's signer; and each message digest against GOST 34.311 of the content.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from asn1crypto import cms, core, crl, pem, tsp, x509

from docex.signatures.dstu import (
    DSTU4145_BE,
    DSTU4145_LE,
    DstuFormatError,
    DstuInvalidSignatureError,
    SignatureEncoding,
    decode_signature,
    hash_bytes,
    load_public_key,
    verify,
    verify_certificate_signature,
    verify_crl_signature,
    verify_hash,
)
from docex.signatures.dstu.asn1 import AnyPublicKeyInfo, DSTU4145Params
from docex.signatures.integrity import find_certificate, signed_attributes_encoding

DATA = Path(__file__).resolve().parents[2] / "data" / "ua"
UAPKI = DATA / "uapki"
JKURWA = DATA / "jkurwa"

ROOT = "CAO-05E19E2CD92EA2990100000001000000C1000000.cer"
DIIA_CA = "diia-CA-05E19E2CD92EA2990100000001000000E1000000.cer"
TSP = "diia-2023-tsp-05E19E2CD92EA29902000000010000004A010000.cer"
OCSP = "diia-ocsp-3ED5083160DBC59B0200000001000000202B0F00.cer"
SIGNER = "diia-test-sign-7775603.cer"
KEP = "diia-test-kep-7775604.cer"
CRL = "BED5083160DBC59BCDDF707C10293F58BB6ED263C6EA5893D3781B61F493BE57-delta-0ABEA7.crl"


def cert(path: Path) -> x509.Certificate:
    data = path.read_bytes()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)


def spki(c: x509.Certificate) -> bytes:
    return bytes(c["tbs_certificate"]["subject_public_key_info"].dump())


@pytest.mark.parametrize(
    ("subject", "issuer", "m"),
    [
        (ROOT, ROOT, 431),
        (DIIA_CA, ROOT, 431),
        (TSP, ROOT, 431),
        (OCSP, DIIA_CA, 257),
        (SIGNER, DIIA_CA, 257),
        (KEP, DIIA_CA, 257),
    ],
)
def test_certificate_signatures_verify(subject: str, issuer: str, m: int) -> None:
    issuer_cert = cert(UAPKI / issuer)
    assert load_public_key(spki(issuer_cert)).field_bits == m
    verify_certificate_signature(cert(UAPKI / subject), issuer_cert)


@pytest.mark.parametrize("accelerated", [True, False])
@pytest.mark.parametrize(("subject", "issuer"), [(SIGNER, DIIA_CA), (DIIA_CA, ROOT)])
def test_pure_and_accelerated_arithmetic_both_verify(
    subject: str, issuer: str, accelerated: bool
) -> None:
    signed = cert(UAPKI / subject)
    key = load_public_key(spki(cert(UAPKI / issuer)))
    r, s = decode_signature(bytes(signed["signature_value"].native), SignatureEncoding.X509)
    digest = hash_bytes("gost34311", signed["tbs_certificate"].dump())
    verify_hash(key, digest, r, s, accelerated=accelerated)
    with pytest.raises(DstuInvalidSignatureError, match="does not verify"):
        verify_hash(key, digest, r ^ 2, s, accelerated=accelerated)


def test_self_signed_jkurwa_certificate_verifies() -> None:
    self_signed = cert(JKURWA / "SELF_SIGNED1.cer")
    key = load_public_key(spki(self_signed))
    # A named curve (DSTU curve 6, m = 257) with the default DKE.
    assert key.field_bits == 257
    verify_certificate_signature(self_signed, self_signed)


def test_explicit_m257_key_is_the_named_curve_spelled_out() -> None:
    explicit = load_public_key(spki(cert(UAPKI / SIGNER)))
    named = load_public_key(spki(cert(JKURWA / "SELF_SIGNED1.cer")))
    assert explicit.curve is named.curve


def test_crl_signature_verifies() -> None:
    crl_list = crl.CertificateList.load((UAPKI / CRL).read_bytes())
    verify_crl_signature(crl_list, cert(UAPKI / DIIA_CA))
    with pytest.raises(DstuInvalidSignatureError, match="does not verify"):
        verify_crl_signature(crl_list, cert(UAPKI / OCSP))


def test_wrong_issuer_or_tampered_certificate_does_not_verify() -> None:
    with pytest.raises(DstuInvalidSignatureError):
        verify_certificate_signature(cert(UAPKI / TSP), cert(UAPKI / DIIA_CA))
    signer = cert(UAPKI / SIGNER)
    der = bytearray(signer.dump())
    serial_at = der.index(signer.serial_number.to_bytes(20, "big"))
    der[serial_at + 19] ^= 1
    with pytest.raises(DstuInvalidSignatureError, match="does not verify"):
        verify_certificate_signature(x509.Certificate.load(bytes(der)), cert(UAPKI / DIIA_CA))


SIGNATURES = [
    (UAPKI / "cades-bes-attached.p7s", None, True),
    (UAPKI / "cades-t-attached.p7s", None, True),
    (UAPKI / "cades-bes-attached-custom-attrs.p7s", None, True),
    (UAPKI / "cades-bes-detached.p7s", UAPKI / "cades-bes-detached.data", True),
    (
        UAPKI / "cades-bes-detached-wrong-content.p7s",
        UAPKI / "cades-bes-detached-wrong-content.data",
        False,
    ),
    (JKURWA / "message.p7", None, True),
    (JKURWA / "message_detached.p7", JKURWA / "message_detached.data", True),
    (JKURWA / "message_detached.p7", JKURWA / "message_detached-wrong.data", False),
]


def _signer(path: Path) -> tuple[cms.SignedData, cms.SignerInfo, x509.Certificate]:
    signed_data = cms.ContentInfo.load(path.read_bytes())["content"]
    (signer_info,) = signed_data["signer_infos"]
    certs = [c.chosen for c in signed_data["certificates"]]
    signer_cert = find_certificate(signer_info["sid"], certs)
    assert signer_cert is not None
    return signed_data, signer_info, signer_cert


@pytest.mark.parametrize(("path", "content_path", "digest_matches"), SIGNATURES)
def test_cms_signers_verify_and_digests_are_gost34311(
    path: Path, content_path: Path | None, digest_matches: bool
) -> None:
    signed_data, signer_info, signer_cert = _signer(path)
    digest_oid = signer_info["digest_algorithm"]["algorithm"].dotted
    assert digest_oid == "1.2.804.2.1.1.1.1.2.1"
    assert signer_info["signature_algorithm"]["algorithm"].dotted == DSTU4145_LE
    verify(
        spki(signer_cert),
        bytes(signer_info["signature"].native),
        signed_attributes_encoding(signer_info["signed_attrs"]),
        digest_algorithm=digest_oid,
        encoding=SignatureEncoding.CMS,
    )
    if content_path is None:
        content = bytes(signed_data["encap_content_info"]["content"].native)
    else:
        content = content_path.read_bytes()
    embedded = next(
        a["values"][0].native
        for a in signer_info["signed_attrs"]
        if a["type"].native == "message_digest"
    )
    assert (hash_bytes(digest_oid, content) == embedded) is digest_matches


def test_cms_signature_over_other_attributes_does_not_verify() -> None:
    _, signer_info, signer_cert = _signer(UAPKI / "cades-bes-attached.p7s")
    _, other_info, _ = _signer(UAPKI / "cades-bes-attached-custom-attrs.p7s")
    with pytest.raises(DstuInvalidSignatureError, match="does not verify"):
        verify(
            spki(signer_cert),
            bytes(signer_info["signature"].native),
            signed_attributes_encoding(other_info["signed_attrs"]),
        )


def test_signature_time_stamp_token_verifies() -> None:
    _, signer_info, _ = _signer(UAPKI / "cades-t-attached.p7s")
    (token,) = (
        a["values"][0]
        for a in signer_info["unsigned_attrs"]
        if a["type"].native == "signature_time_stamp_token"
    )
    token_data: cms.SignedData = token["content"]
    info = tsp.TSTInfo.load(bytes(token_data["encap_content_info"]["content"].contents))
    imprint = info["message_imprint"]
    assert imprint["hash_algorithm"]["algorithm"].dotted == "1.2.804.2.1.1.1.1.2.1"
    assert imprint["hashed_message"].native == hash_bytes(
        "gost34311", bytes(signer_info["signature"].native)
    )
    (tsa_info,) = token_data["signer_infos"]
    tsa_cert = find_certificate(tsa_info["sid"], [cert(UAPKI / TSP)])
    assert tsa_cert is not None
    verify(
        spki(tsa_cert),
        bytes(tsa_info["signature"].native),
        signed_attributes_encoding(tsa_info["signed_attrs"]),
    )


# --- malformed inputs: format errors, never "invalid signature" ---


def _named_spki(curve_oid: str, point: bytes, algorithm: str = DSTU4145_LE) -> bytes:
    params = DSTU4145Params({"curve": {"named_curve": curve_oid}})
    info = AnyPublicKeyInfo(
        {
            "algorithm": {"algorithm": algorithm, "parameters": core.Any.load(params.dump())},
            "public_key": core.OctetString(point).dump(),
        }
    )
    return bytes(info.dump())


def _point_octets(c: x509.Certificate) -> bytes:
    info = AnyPublicKeyInfo.load(spki(c))
    return bytes(core.OctetString.load(bytes(info["public_key"].native)).native)


def test_key_on_an_unknown_curve_is_a_format_error() -> None:
    point = _point_octets(cert(JKURWA / "SELF_SIGNED1.cer"))
    with pytest.raises(DstuFormatError, match=r"unknown DSTU 4145 named curve .*\.2\.10"):
        load_public_key(_named_spki("1.2.804.2.1.1.1.1.3.1.1.2.10", point))


def test_key_of_another_field_size_is_a_format_error() -> None:
    point = _point_octets(cert(JKURWA / "SELF_SIGNED1.cer"))
    # The m = 257 point given on the m = 163 curve: too long for its field.
    with pytest.raises(DstuFormatError, match="octets for a 163-bit field"):
        load_public_key(_named_spki("1.2.804.2.1.1.1.1.3.1.1.2.0", point))


def test_point_off_the_curve_is_a_format_error() -> None:
    good = _point_octets(cert(JKURWA / "SELF_SIGNED1.cer"))
    outcomes = set()
    # Half of all x have no point; flipping single bits finds some within a few tries.
    for bit in range(1, 40):
        flipped = (int.from_bytes(good, "little") ^ (1 << bit)).to_bytes(len(good), "little")
        try:
            load_public_key(_named_spki("1.2.804.2.1.1.1.1.3.1.1.2.6", flipped))
            outcomes.add("a point")
        except DstuFormatError as exc:
            outcomes.add(str(exc))
    assert outcomes == {"a point", "compressed point is not on the curve"}


def test_other_key_algorithms_are_format_errors() -> None:
    ecdsa = cert(DATA / "CA-Justice-ECDSA-261217.pem")
    with pytest.raises(DstuFormatError, match=r"not a DSTU 4145 key: 1\.2\.840\.10045\.2\.1"):
        load_public_key(spki(ecdsa))
    point = _point_octets(cert(JKURWA / "SELF_SIGNED1.cer"))
    with pytest.raises(DstuFormatError, match="big-endian DSTU 4145 variant"):
        load_public_key(_named_spki("1.2.804.2.1.1.1.1.3.1.1.2.6", point, DSTU4145_BE))
    with pytest.raises(DstuFormatError, match="malformed DSTU 4145 public key"):
        load_public_key(b"\x30\x03\x02\x01\x00")


def test_malformed_signature_encodings_are_format_errors() -> None:
    self_signed = cert(JKURWA / "SELF_SIGNED1.cer")
    wrapped = bytes(self_signed["signature_value"].native)
    tbs = self_signed["tbs_certificate"].dump()
    # The raw r || s where a wrapped OCTET STRING is expected.
    raw = bytes(core.OctetString.load(wrapped).native)
    with pytest.raises(DstuFormatError, match="not a DER OCTET STRING"):
        verify(spki(self_signed), raw, tbs, encoding=SignatureEncoding.X509)
    with pytest.raises(DstuFormatError, match="cannot be split into r and s"):
        verify(spki(self_signed), raw[:-1], tbs, encoding=SignatureEncoding.CMS)
    with pytest.raises(DstuFormatError, match="digest sha256 is not used with DSTU 4145"):
        verify(spki(self_signed), raw, tbs, digest_algorithm="sha256")
    # The same octets, correctly unwrapped, verify.
    verify(spki(self_signed), raw, tbs, encoding=SignatureEncoding.CMS)
    verify(spki(self_signed), wrapped, tbs, encoding=SignatureEncoding.X509)


def test_jkurwa_published_signature_is_the_one_verified() -> None:
    # jkurwa test/test-sign.js: the signature its key PRIV1 makes over "123" at 1540236305
    # (with SELF_SIGNED1.cer), which message.p7 carries and the tests above verify.
    _, signer_info, _ = _signer(JKURWA / "message.p7")
    assert bytes(signer_info["signature"].native).hex() == (
        "a2f0f6927e40a651876548c53052dba0f6240adb5d0bffa23b5ed617c4398a60"
        "0dd1257022b776eb16290c71de9804600307ecb01a2990c387ab7269dd44d917"
    )
