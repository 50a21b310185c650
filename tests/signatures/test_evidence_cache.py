"""The evaluator's caches for signatures that each embed their own revocation data.

Every signature here is a CAdES B-LT by the development PKI at its own moment, so each
embeds its own OCSP responses; the caches of :mod:`docex.signatures.evidence_cache` must
then serve the path and the CAs' status without ever serving a signer's verdict, and
must never accept revocation data that differs from verified data by one bit.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import cms, crl, ocsp
from cryptography.exceptions import InvalidSignature

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.signatures.evidence_cache import (
    BoundedCache,
    CachingSignatureValidator,
    ChainCache,
    ChainEntry,
)
from docex.signatures.report import Indication, Qualification, SubIndication, ValidationReport
from docex.signatures.signature_validator import SIGNATURE_VALIDATOR
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier
from tests.signatures.conftest import CONTENT, DEV_TRUST

# One CRL day of the development CAs (their CRLs are issued at UTC midnight), after the
# "revoked" certificate's revocation on 2026-01-15.
MORNING = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def _at(minutes: int) -> datetime:
    return MORNING + timedelta(minutes=minutes)


def _sign(pki: DevPki, moment: datetime, *, signer: str = "doctor-ecdsa") -> bytes:
    return sign_cades(
        pki, CONTENT, signer=signer, level="B-LT", signing_time=moment, timestamp_time=moment
    )


def _verdict(report: ValidationReport) -> tuple[Indication, SubIndication | None, Qualification]:
    return report.indication, report.sub_indication, report.qualification


@pytest.fixture
def warm() -> Iterator[Verifier]:
    """A verifier with empty caches, warmed by each test on the signatures it chooses."""
    with Verifier(load_trust_store([DEV_TRUST])) as v:
        yield v


def _fresh_verdict(signature: bytes) -> tuple[Indication, SubIndication | None, Qualification]:
    with Verifier(load_trust_store([DEV_TRUST])) as fresh:
        return _verdict(fresh.verify(signature, content=CONTENT))


# --- changing the revocation data a signature embeds --------------------------------------


def _revocation_values(info: cms.ContentInfo) -> cms.CMSAttribute:
    for attr in info["content"]["signer_infos"][0]["unsigned_attrs"]:
        if attr["type"].native == "revocation_values":
            return attr["values"][0]
    raise AssertionError("a B-LT signature without revocation-values")


def _flip_signature_bit(structure: crl.CertificateList | ocsp.BasicOCSPResponse) -> None:
    value = bytearray(structure["signature"].native)
    value[len(value) // 2] ^= 0x01
    structure["signature"] = bytes(value)


def _serial_of(pki: DevPki, label: str) -> int:
    return int(pki.cert(label).serial_number)


def _signer_ocsp(values: cms.CMSAttribute, serial: int) -> ocsp.BasicOCSPResponse:
    for basic in values["ocsp_vals"]:
        responses = basic["tbs_response_data"]["responses"]
        if responses[0]["cert_id"]["serial_number"].native == serial:
            return basic
    raise AssertionError("no OCSP response about the signer")


def _changed(
    signature: bytes,
    *,
    flip_ocsp_of: int | None = None,
    flip_crl_of: str = "",
    drop_crls_of: str = "",
) -> bytes:
    """``signature`` with one bit of an embedded signature flipped, or some CRLs removed."""
    info = cms.ContentInfo.load(signature)
    values = _revocation_values(info)
    if flip_ocsp_of is not None:
        _flip_signature_bit(_signer_ocsp(values, flip_ocsp_of))
    kept = []
    for item in values["crl_vals"]:
        issuer = item["tbs_cert_list"]["issuer"].native["common_name"]
        if issuer == drop_crls_of:
            continue
        if issuer == flip_crl_of:
            _flip_signature_bit(item)
        kept.append(item)
    values["crl_vals"] = kept
    der: bytes = info.dump(force=True)
    return der


def _crl_issuer_names(pki: DevPki) -> tuple[str, str]:
    """The common names of the root CA and of the issuing CA, as their CRLs name them."""
    root = pki.cert("root-ca").subject.native["common_name"]
    issuing = pki.cert("issuing-ca").subject.native["common_name"]
    return root, issuing


# --- the tests ----------------------------------------------------------------------------


def test_own_evidence_signatures_are_served_from_the_chain_cache(
    pki: DevPki, warm: Verifier
) -> None:
    signatures = [_sign(pki, _at(m)) for m in (0, 29, 58, 87)]
    reports = [warm.verify(s, content=CONTENT) for s in signatures]
    assert [_verdict(r) for r in reports] == [
        (Indication.TOTAL_PASSED, None, Qualification.QESIG)
    ] * 4
    # The first signature runs certvalidator for the signer and the TSA; the second runs
    # it for the signer again, to have it judge the OCSP responder (the TSA's too: one
    # responder serves the issuing CA). Every other evaluation is answered by the chain
    # cache and the signature's own OCSP response.
    assert (warm.evaluator.misses, warm.evaluator.chain_hits, warm.evaluator.hits) == (3, 5, 0)
    # Each report names the signature's own OCSP response, not the first signature's.
    issued = {e.issued_at for r in reports for e in r.signatures[0].revocation if e.kind == "ocsp"}
    assert {_at(0), _at(29), _at(58), _at(87)} <= issued


def test_a_revoked_signer_under_the_same_cas_after_good_ones_is_revoked(
    pki: DevPki, warm: Verifier
) -> None:
    for minutes in (0, 29):
        assert _verdict(warm.verify(_sign(pki, _at(minutes)), content=CONTENT))[0] is (
            Indication.TOTAL_PASSED
        )
    report = warm.verify(_sign(pki, _at(58), signer="revoked"), content=CONTENT)
    assert _verdict(report) == (Indication.TOTAL_FAILED, SubIndication.REVOKED, Qualification.NA)
    assert "revoked" in report.message.lower()
    # And a good signer after it is good again: nothing of the revoked verdict was kept.
    again = warm.verify(_sign(pki, _at(87)), content=CONTENT)
    assert _verdict(again) == (Indication.TOTAL_PASSED, None, Qualification.QESIG)


def test_an_ocsp_response_one_bit_off_a_verified_one_is_refused(
    pki: DevPki, warm: Verifier
) -> None:
    _, issuing = _crl_issuer_names(pki)
    signatures = [_changed(_sign(pki, _at(m)), drop_crls_of=issuing) for m in (0, 29, 58)]
    # With the issuing CA's CRL gone, the signer's OCSP response is its only status.
    for signature in signatures:
        assert _verdict(warm.verify(signature, content=CONTENT))[0] is Indication.TOTAL_PASSED
    # The third signature's signer was served by the chain cache (as were the TSA of the
    # second and third): its OCSP response's signature verified through the caching
    # validator, which now holds it.
    assert warm.evaluator.chain_hits == 3
    forged = _changed(signatures[-1], flip_ocsp_of=_serial_of(pki, "doctor-ecdsa"))
    report = warm.verify(forged, content=CONTENT)
    assert _verdict(report) == _fresh_verdict(forged)
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication is SubIndication.TRY_LATER


def test_a_crl_one_bit_off_a_verified_one_is_refused(pki: DevPki, warm: Verifier) -> None:
    root, _ = _crl_issuer_names(pki)
    signature = _sign(pki, _at(0))
    assert _verdict(warm.verify(signature, content=CONTENT))[0] is Indication.TOTAL_PASSED
    # The root's CRL is the issuing CA's only status; its signature verified just now.
    forged = _changed(_sign(pki, _at(29)), flip_crl_of=root)
    report = warm.verify(forged, content=CONTENT)
    assert _verdict(report) == _fresh_verdict(forged)
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication is SubIndication.TRY_LATER


def test_the_signature_cache_remembers_only_what_verified(pki: DevPki) -> None:
    cert = pki.cert("doctor-ecdsa")
    issuer = pki.cert("issuing-ca")
    tbs = cert["tbs_certificate"].dump()
    validator = CachingSignatureValidator(SIGNATURE_VALIDATOR, max_size=2)
    arguments = (
        cert["signature_value"].native,
        tbs,
        issuer.public_key,
        cert["signature_algorithm"],
    )
    validator.validate_signature(*arguments)
    validator.validate_signature(*arguments)
    assert (len(validator.verified), validator.verified.hits) == (1, 1)
    flipped = bytearray(tbs)
    flipped[-1] ^= 0x01
    for _ in range(2):
        with pytest.raises(InvalidSignature):
            validator.validate_signature(arguments[0], bytes(flipped), *arguments[2:])
    assert len(validator.verified) == 1


def test_the_caches_hold_their_bounds() -> None:
    lru: BoundedCache[int, str] = BoundedCache(3)
    for i in range(10):
        lru.put(i, str(i))
    assert len(lru) == 3
    assert [lru.get(i) for i in (6, 7, 8, 9)] == [None, "7", "8", "9"]
    chains: ChainCache[str] = ChainCache(max_size=2, per_key=2)
    for key in range(5):
        for n in range(4):
            chains.add(key, ChainEntry(f"{key}.{n}", MORNING, MORNING + timedelta(n)))
    assert len(chains) == 2
    with pytest.raises(ValueError, match="at least one entry"):
        BoundedCache[int, int](0)


def test_a_verifier_bounds_its_evidence_caches() -> None:
    with Verifier(load_trust_store([DEV_TRUST])) as verifier:
        evaluator = verifier.evaluator
        assert evaluator.signatures.verified.max_size == evaluator._cache_size
        assert evaluator.chains.max_size == evaluator._cache_size
        assert evaluator.responders.entries.max_size > 0


# --- the CAs' status, apart from each path --------------------------------------------------

NEXT_DAY = timedelta(days=1)


def test_the_cas_status_proven_for_one_certificate_serves_the_others_under_them(
    pki: DevPki, warm: Verifier
) -> None:
    for minutes in (0, 29, 58, 87):
        assert _verdict(warm.verify(_sign(pki, _at(minutes)), content=CONTENT))[0] is (
            Indication.TOTAL_PASSED
        )
    assert (warm.evaluator.misses, warm.evaluator.chain_hits) == (3, 5)
    # The next day's signature embeds the next day's CRLs: nothing proves the issuing CA
    # good with them yet, so the signer goes to certvalidator; the TSA, under the same
    # CAs, then takes their status from that run (its own path is cached since day one).
    report = warm.verify(_sign(pki, _at(0) + NEXT_DAY), content=CONTENT)
    assert _verdict(report) == (Indication.TOTAL_PASSED, None, Qualification.QESIG)
    assert report.signatures[0].timestamps[0].indication is Indication.TOTAL_PASSED
    assert (warm.evaluator.misses, warm.evaluator.chain_hits) == (4, 6)
    # A signer seen on day one whose signature offers other certificates (its own) does
    # not take the status: the certificates offered are part of what it was proven with.
    for minutes in (0, 29):
        warm.verify(_sign(pki, _at(minutes), signer="doctor2-ecdsa"), content=CONTENT)
    misses = warm.evaluator.misses
    other = warm.verify(_sign(pki, _at(29) + NEXT_DAY, signer="doctor2-ecdsa"), content=CONTENT)
    assert _verdict(other) == (Indication.TOTAL_PASSED, None, Qualification.QESIG)
    assert warm.evaluator.misses == misses + 1


def test_the_cas_status_is_used_only_with_the_data_it_was_proven_with(
    pki: DevPki, warm: Verifier
) -> None:
    root, _ = _crl_issuer_names(pki)
    for moment in (_at(0), _at(29), _at(0) + NEXT_DAY):
        assert _verdict(warm.verify(_sign(pki, moment), content=CONTENT))[0] is (
            Indication.TOTAL_PASSED
        )
    # The same day's CRLs, but the root's (the issuing CA's only status) one bit off, or
    # gone: the status proven an hour earlier is not theirs.
    for forged in (
        _changed(_sign(pki, _at(29) + NEXT_DAY), flip_crl_of=root),
        _changed(_sign(pki, _at(58) + NEXT_DAY), drop_crls_of=root),
    ):
        report = warm.verify(forged, content=CONTENT)
        assert _verdict(report) == _fresh_verdict(forged)
        assert (report.indication, report.sub_indication) == (
            Indication.INDETERMINATE,
            SubIndication.TRY_LATER,
        )
    # And the genuine data still serves the next signature.
    again = warm.verify(_sign(pki, _at(87) + NEXT_DAY), content=CONTENT)
    assert _verdict(again) == (Indication.TOTAL_PASSED, None, Qualification.QESIG)


def test_a_revoked_signer_under_cas_whose_status_is_cached_is_revoked(
    pki: DevPki, warm: Verifier
) -> None:
    for moment in (_at(0), _at(29), _at(0) + NEXT_DAY):
        warm.verify(_sign(pki, moment), content=CONTENT)
    report = warm.verify(_sign(pki, _at(29) + NEXT_DAY, signer="revoked"), content=CONTENT)
    assert _verdict(report) == (Indication.TOTAL_FAILED, SubIndication.REVOKED, Qualification.NA)
