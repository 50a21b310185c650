"""The chain path's own checks of a signer's OCSP response, with what it now remembers.

A certificate whose chain and CAs' status are cached has only its own OCSP response
checked (:func:`docex.signatures.evidence_cache.ocsp_good`), read by
:mod:`docex.signatures.ocsp_facts` and verified through a signature validator that
remembers, per key encoding, whether the key is DSTU. None of that may let through a
response certvalidator would refuse: a stale one whose signature verified before, one
signed by another key, one after a response of another algorithm.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import cms, ocsp, x509
from pyhanko_certvalidator.sig_validate import SignatureValidator

from docex.devpki.dstu_pki import DOCTOR_DSTU, ISSUING_CA_DSTU, TSA_DSTU, DstuPki
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.signatures import evidence_cache
from docex.signatures.evidence_cache import CachingSignatureValidator
from docex.signatures.ocsp_facts import ocsp_facts
from docex.signatures.parsed import wrap_basic_ocsp
from docex.signatures.paths import REQUIRE_REVOCATION, TIME_TOLERANCE
from docex.signatures.report import Indication, Qualification, SubIndication, ValidationReport
from docex.signatures.signature_validator import (
    SIGNATURE_VALIDATOR,
    _is_dstu_key,
    _is_dstu_key_encoding,
)
from docex.signatures.trust import TrustStore, trust_store_from_certificates
from docex.signatures.verifier import Verifier
from tests.signatures.conftest import CONTENT, signed_b_lt

MORNING = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)

Verdict = tuple[Indication, SubIndication | None, Qualification]


def _at(minutes: int) -> datetime:
    return MORNING + timedelta(minutes=minutes)


def _verdict(report: ValidationReport) -> Verdict:
    return report.indication, report.sub_indication, report.qualification


@pytest.fixture(scope="module")
def dstu() -> DstuPki:
    return DstuPki.load()


@pytest.fixture(scope="module")
def both(pki: DevPki, dstu: DstuPki) -> TrustStore:
    """The development root and the DSTU root, each with its TSA: RSA and DSTU responders."""
    return trust_store_from_certificates(
        [pki.cert("root-ca"), dstu.trust_anchor()],
        name="RSA and DSTU",
        tsas=[pki.cert("tsa"), dstu.cert(TSA_DSTU)],
    )


@pytest.fixture
def warm(both: TrustStore) -> Iterator[Verifier]:
    with Verifier(both) as verifier:
        yield verifier


def _fresh(trust: TrustStore, signature: bytes) -> Verdict:
    with Verifier(trust) as fresh:
        return _verdict(fresh.verify(signature, content=CONTENT))


def _dstu(dstu: DstuPki, moment: datetime) -> bytes:
    return dstu.sign_cades(CONTENT, signer=DOCTOR_DSTU, level="B-LT", signing_time=moment)


# --- the embedded revocation data, changed --------------------------------------------------


def _values(info: cms.ContentInfo) -> cms.CMSAttribute:
    for attr in info["content"]["signer_infos"][0]["unsigned_attrs"]:
        if attr["type"].native == "revocation_values":
            return attr["values"][0]
    raise AssertionError("a B-LT signature without revocation-values")


def _names(basic: ocsp.BasicOCSPResponse, serial: int) -> bool:
    responses = basic["tbs_response_data"]["responses"]
    return bool(responses[0]["cert_id"]["serial_number"].native == serial)


def _changed(
    signature: bytes,
    *,
    serial: int,
    issuing_ca: str,
    flip: bool = False,
    replacement: ocsp.BasicOCSPResponse | None = None,
) -> bytes:
    """``signature`` without the CRL of ``issuing_ca`` (so that the OCSP response of the
    certificate ``serial`` is its only status), that response's signature one bit off or
    the response replaced."""
    info = cms.ContentInfo.load(signature)
    values = _values(info)
    values["crl_vals"] = [
        c
        for c in values["crl_vals"]
        if c["tbs_cert_list"]["issuer"].native["common_name"] != issuing_ca
    ]
    kept = []
    for basic in values["ocsp_vals"]:
        if _names(basic, serial):
            if replacement is not None:
                basic = replacement
            elif flip:
                value = bytearray(basic["signature"].native)
                value[len(value) // 2] ^= 0x01
                basic["signature"] = bytes(value)
        kept.append(basic)
    values["ocsp_vals"] = kept
    der: bytes = info.dump(force=True)
    return der


def _signer_response(signature: bytes, serial: int) -> ocsp.BasicOCSPResponse:
    for basic in _values(cms.ContentInfo.load(signature))["ocsp_vals"]:
        if _names(basic, serial):
            return ocsp.BasicOCSPResponse.load(basic.dump())
    raise AssertionError("no OCSP response about the signer")


def _common_name(cert_label: str, pki: DevPki | DstuPki) -> str:
    return str(pki.cert(cert_label).subject.native["common_name"])


# --- the tests ------------------------------------------------------------------------------

PASSED = (Indication.TOTAL_PASSED, None, Qualification.QESIG)


def test_whether_a_key_is_dstu_is_remembered_per_exact_key(pki: DevPki, dstu: DstuPki) -> None:
    rsa_key = pki.cert("issuing-ca-ocsp").public_key
    dstu_key = dstu.cert(ISSUING_CA_DSTU).public_key
    answers = [_is_dstu_key(k) for k in (rsa_key, dstu_key, rsa_key, dstu_key)]
    assert answers == [False, True, False, True]
    hits = _is_dstu_key_encoding.cache_info().hits
    assert _is_dstu_key(dstu_key) is True
    assert _is_dstu_key_encoding.cache_info().hits == hits + 1
    assert _is_dstu_key_encoding.cache_info().maxsize is not None


def _own(response: ocsp.OCSPResponse, responder: x509.Certificate) -> evidence_cache.OwnResponse:
    facts = ocsp_facts(response)
    assert facts is not None
    (single,) = facts.singles
    return evidence_cache.OwnResponse(response, facts, single, responder)


def _good(own: evidence_cache.OwnResponse, at: datetime, validator: SignatureValidator) -> bool:
    return evidence_cache.ocsp_good(
        own, at=at, policy=REQUIRE_REVOCATION, tolerance=TIME_TOLERANCE, validator=validator
    )


def test_ocsp_good_checks_a_dstu_response_after_rsa_ones(pki: DevPki, dstu: DstuPki) -> None:
    # The development DSTU certificates declare no OCSP responder, so the evaluator never
    # takes the chain path for them; ocsp_good itself is asked here, with one validator
    # (remembering what verified) for responses of both algorithms.
    validator = CachingSignatureValidator(SIGNATURE_VALIDATOR)
    rsa_responder = pki.cert("issuing-ca-ocsp")
    for minutes in (0, 29):
        rsa = _own(pki.ocsp_response("doctor-ecdsa", at=_at(minutes)), rsa_responder)
        assert _good(rsa, _at(minutes), validator)
    dstu_ca = dstu.cert(ISSUING_CA_DSTU)
    response = dstu.ocsp_response(DOCTOR_DSTU, at=_at(58))
    assert _good(_own(response, dstu_ca), _at(58), validator)
    # One bit off its signature, the same key: refused, before and after the good one.
    basic = response["response_bytes"]["response"].parsed
    value = bytearray(basic["signature"].native)
    value[len(value) // 2] ^= 0x01
    forged_basic = ocsp.BasicOCSPResponse.load(basic.dump())
    forged_basic["signature"] = bytes(value)
    forged = wrap_basic_ocsp(ocsp.BasicOCSPResponse.load(forged_basic.dump(force=True)))
    assert not _good(_own(forged, dstu_ca), _at(58), validator)
    # Checked with the RSA responder's key instead: refused, not read as RSA.
    assert not _good(_own(response, rsa_responder), _at(58), validator)
    # And the RSA responder's responses after it are still RSA, and still good.
    rsa = _own(pki.ocsp_response("doctor-ecdsa", at=_at(87)), rsa_responder)
    assert _good(rsa, _at(87), validator)
    # A day after its thisUpdate (nextUpdate is a day later), the DSTU response is stale.
    assert not _good(_own(response, dstu_ca), _at(58) + timedelta(days=2), validator)


def test_dstu_signatures_after_rsa_ones_on_one_verifier(
    pki: DevPki, dstu: DstuPki, warm: Verifier, both: TrustStore
) -> None:
    for minutes in (0, 29, 58):
        assert _verdict(warm.verify(signed_b_lt(pki, _at(minutes)), content=CONTENT)) == PASSED
    assert warm.evaluator.chain_hits > 0
    for minutes in (0, 29, 58):
        assert _verdict(warm.verify(_dstu(dstu, _at(minutes)), content=CONTENT)) == PASSED
    # A DSTU response one bit off (its CA's CRL gone, so it is the signer's only status),
    # after good ones by the same responder key: not accepted.
    serial = int(dstu.cert(DOCTOR_DSTU).serial_number)
    issuing = _common_name(ISSUING_CA_DSTU, dstu)
    forged = _changed(_dstu(dstu, _at(87)), serial=serial, issuing_ca=issuing, flip=True)
    report = warm.verify(forged, content=CONTENT)
    assert _verdict(report) == _fresh(both, forged)
    assert report.indication is Indication.INDETERMINATE
    # And an RSA signature after it passes.
    assert _verdict(warm.verify(signed_b_lt(pki, _at(116)), content=CONTENT)) == PASSED


def test_a_stale_response_whose_signature_verified_before_is_refused(
    pki: DevPki, warm: Verifier, both: TrustStore
) -> None:
    serial = int(pki.cert("doctor-ecdsa").serial_number)
    issuing = _common_name("issuing-ca", pki)
    signatures = [
        _changed(signed_b_lt(pki, _at(m)), serial=serial, issuing_ca=issuing) for m in (0, 29, 58)
    ]
    for signature in signatures:
        assert _verdict(warm.verify(signature, content=CONTENT)) == PASSED
    chain_hits = warm.evaluator.chain_hits
    assert chain_hits >= 2
    # The first signature's response about the signer (ten minutes' validity, its
    # signature verified and remembered) in a signature made an hour and a half later.
    old = _signer_response(signatures[0], serial)
    stale = _changed(signed_b_lt(pki, _at(87)), serial=serial, issuing_ca=issuing, replacement=old)
    report = warm.verify(stale, content=CONTENT)
    assert _verdict(report) == _fresh(both, stale)
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    )
    # The signer went to certvalidator (the TSA's own response, fresh, did not).
    assert warm.evaluator.chain_hits == chain_hits + 1


def test_a_response_by_the_responder_of_good_ones_revoking_the_signer_is_revoked(
    pki: DevPki, warm: Verifier
) -> None:
    for minutes in (0, 29, 58):
        assert _verdict(warm.verify(signed_b_lt(pki, _at(minutes)), content=CONTENT)) == PASSED
    revoked = sign_cades(
        pki, CONTENT, signer="revoked", level="B-LT", signing_time=_at(87), timestamp_time=_at(87)
    )
    report = warm.verify(revoked, content=CONTENT)
    assert _verdict(report) == (Indication.TOTAL_FAILED, SubIndication.REVOKED, Qualification.NA)
