"""Nested CAdES envelopes: a doctor's CMS sealed by the facility, verified layer by layer.

The seal is the development PKI's ``facility-seal`` (a QESeal of the doctors' facility):
it signs the DER of the doctor's CMS as its attached content, as eHealth's signature
service does.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from asn1crypto import cms
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.settings import Settings
from docex.signatures.guarded import bounded_verifier
from docex.signatures.isolation import verification_limits
from docex.signatures.limits import Limits
from docex.signatures.policy import DOCEX_GATE_2026, AcceptanceDecision, AcceptancePolicy
from docex.signatures.report import (
    CheckOutcome,
    Indication,
    Qualification,
    SubIndication,
    ValidationReport,
)
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier
from tests.signatures import forge, tamper
from tests.signatures.conftest import CONTENT, DEV_TRUST

DOCTOR = "doctor-ecdsa"
SEAL = "facility-seal"
TOO_DEEP = (
    "the nesting of CMS signatures exceeds the bound max_envelope_depth = 4; "
    "the signature was not evaluated"
)


def layers(report: ValidationReport) -> list[tuple[str, int, Indication, SubIndication | None]]:
    return [(s.id, s.layer, s.indication, s.sub_indication) for s in report.signatures]


def seal(pki: DevPki, inner: bytes, *, signer: str = SEAL) -> bytes:
    """The facility's attached CAdES B-LT over the DER of ``inner``."""
    return sign_cades(pki, inner, signer=signer, level="B-LT", detached=False)


@pytest.fixture(scope="module")
def doctor_attached(pki: DevPki) -> bytes:
    return sign_cades(pki, CONTENT, signer=DOCTOR, level="B-LT", detached=False)


@pytest.fixture(scope="module")
def sealed(pki: DevPki, doctor_attached: bytes) -> bytes:
    return seal(pki, doctor_attached)


@pytest.fixture(scope="module")
def sealed_report(verifier: Verifier, sealed: bytes) -> ValidationReport:
    return verifier.verify(sealed)


def test_doctor_then_seal_passes_with_both_layers_reported(
    pki: DevPki, sealed_report: ValidationReport, sealed: bytes
) -> None:
    report = sealed_report
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_PASSED, None)
    assert layers(report) == [
        ("S1", 0, Indication.TOTAL_PASSED, None),
        ("L1.S1", 1, Indication.TOTAL_PASSED, None),
    ]
    author, facility = report.signatures
    assert (author.qualification, facility.qualification) == (
        Qualification.QESIG,
        Qualification.QESEAL,
    )
    assert author.signer is not None
    assert facility.signer is not None
    assert author.signer.rnokpp == pki.cert(DOCTOR).subject.native["serial_number"][6:]
    assert (facility.signer.rnokpp, facility.signer.edrpou) == (None, author.signer.edrpou)
    assert all(c.outcome is CheckOutcome.PASSED for s in report.signatures for c in s.checks)
    assert (report.document.kind, report.document.detached) == ("cades", False)
    assert report.document.size == len(sealed)
    assert report.to_dict()["signatures"][1]["layer"] == 1


def test_a_detached_inner_signature_takes_the_callers_content(
    pki: DevPki, verifier: Verifier
) -> None:
    inner = sign_cades(pki, CONTENT, signer=DOCTOR, level="B-LT", detached=True)
    envelope = seal(pki, inner)
    report = verifier.verify(envelope, content=CONTENT)
    assert layers(report) == [
        ("S1", 0, Indication.TOTAL_PASSED, None),
        ("L1.S1", 1, Indication.TOTAL_PASSED, None),
    ]
    assert report.document.detached is True
    # Without the content, the author's layer cannot be checked; the seal still verifies.
    missing = verifier.verify(envelope)
    assert layers(missing) == [
        ("S1", 0, Indication.INDETERMINATE, SubIndication.SIGNED_DATA_NOT_FOUND),
        ("L1.S1", 1, Indication.TOTAL_PASSED, None),
    ]
    assert (missing.indication, missing.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIGNED_DATA_NOT_FOUND,
    )
    # Other content fails the author's signature, not the seal over the CMS bytes.
    wrong = verifier.verify(envelope, content=CONTENT + b"!")
    assert layers(wrong) == [
        ("S1", 0, Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE),
        ("L1.S1", 1, Indication.TOTAL_PASSED, None),
    ]


def test_tampered_inner_content_fails_the_inner_layer_only(
    pki: DevPki, verifier: Verifier, doctor_attached: bytes
) -> None:
    # The seal is made over the already tampered CMS, so it verifies: a facility sealing
    # a broken signature does not mend it.
    tampered = tamper.change_attached_content(doctor_attached, CONTENT + b"!")
    report = verifier.verify(seal(pki, tampered))
    assert layers(report) == [
        ("S1", 0, Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE),
        ("L1.S1", 1, Indication.TOTAL_PASSED, None),
    ]
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
    )
    assert report.signatures[0].checks[-1].name == "message_digest"


def test_a_swapped_inner_cms_fails_the_seal_only(
    pki: DevPki, verifier: Verifier, sealed: bytes
) -> None:
    other = sign_cades(pki, CONTENT + b"2", signer=DOCTOR, level="B-LT", detached=False)
    report = verifier.verify(tamper.change_attached_content(sealed, other))
    assert layers(report) == [
        ("S1", 0, Indication.TOTAL_PASSED, None),
        ("L1.S1", 1, Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE),
    ]


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def _with_malformed_certificates(der: bytes) -> bytes:
    """The CMS with a certificates SET holding an INTEGER: well-formed DER, no certificate."""
    signed_data = cms.ContentInfo.load(der)["content"]
    parts = []
    for name in ("version", "digest_algorithms", "encap_content_info", "certificates"):
        parts.append(
            b"\xa0\x03\x02\x01\x05" if name == "certificates" else signed_data[name].dump()
        )
    parts.append(signed_data["signer_infos"].dump())
    body = _tlv(0x30, b"".join(parts))
    return _tlv(0x30, cms.ContentType("signed_data").dump() + _tlv(0xA0, body))


def test_an_unreadable_inner_layer_fails_alone(
    pki: DevPki, verifier: Verifier, doctor_attached: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    inner = _with_malformed_certificates(doctor_attached)
    report = verifier.verify(seal(pki, inner))
    assert layers(report) == [
        ("S1", 0, Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE),
        ("L1.S1", 1, Indication.TOTAL_PASSED, None),
    ]
    assert report.signatures[0].message.startswith("malformed signature structure: ")
    assert "verifying CMS layer 0 failed" in caplog.text


def _nest(pki: DevPki, inner: bytes, times: int) -> bytes:
    for _ in range(times):
        inner = seal(pki, inner)
    return inner


def test_depth_up_to_the_bound_passes_and_beyond_is_indeterminate(
    pki: DevPki, verifier: Verifier, doctor_attached: bytes
) -> None:
    four = _nest(pki, doctor_attached, 3)
    report = verifier.verify(four)
    assert [(s.id, s.layer) for s in report.signatures] == [
        ("S1", 0),
        ("L1.S1", 1),
        ("L2.S1", 2),
        ("L3.S1", 3),
    ]
    assert report.indication is Indication.TOTAL_PASSED
    five = verifier.verify(seal(pki, four))
    assert (five.indication, five.sub_indication, five.qualification) == (
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
        Qualification.NA,
    )
    (only,) = five.signatures
    assert (only.id, only.format, only.message) == ("envelope", "CAdES", TOO_DEEP)
    assert [(c.name, c.outcome) for c in only.checks] == [("bounds", CheckOutcome.INDETERMINATE)]


def test_the_depth_bound_is_a_setting(
    pki: DevPki, sealed: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCEX_MAX_ENVELOPE_DEPTH", "1")
    limits = verification_limits(Settings().verifier_settings)
    assert limits == Limits(max_envelope_depth=1)
    with bounded_verifier(
        load_trust_store([DEV_TRUST]), max_input_bytes=64 * 1024 * 1024, limits=limits
    ) as verifier:
        report = verifier.verify(sealed)
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
    )
    assert report.signatures[0].message == TOO_DEEP.replace("= 4", "= 1")


def test_content_that_only_looks_like_der_is_the_document(pki: DevPki, verifier: Verifier) -> None:
    # A certificate is a DER SEQUENCE but no CMS: it is what the doctor signed.
    certificate = pki.cert(DOCTOR).dump()
    report = verifier.verify(
        sign_cades(pki, certificate, signer=DOCTOR, level="B-LT", detached=False)
    )
    assert layers(report) == [("S1", 0, Indication.TOTAL_PASSED, None)]


def _sign_content_info(pki: DevPki, inner: bytes, *, signer: str) -> bytes:
    """An attached CMS of content type signedData (RFC 5652's own nesting), B level."""
    chain = pki.chain(signer)
    store: SimpleCertificateStore = SimpleCertificateStore.from_certs(chain[1:])  # type: ignore[no-untyped-call]  # unannotated in pyhanko-certvalidator
    simple = SimpleSigner(signing_cert=chain[0], signing_key=pki.key(signer), cert_registry=store)
    # RFC 5652: the eContent of type signedData is the bare SignedData, not a ContentInfo.
    bare = cms.ContentInfo.load(inner)["content"].untag()
    encapsulated = cms.EncapsulatedContentInfo({"content_type": "signed_data", "content": bare})
    info = asyncio.run(
        simple.async_sign_general_data(encapsulated, "sha256", detached=False, use_cades=True)
    )
    der: bytes = info.dump()
    return der


def test_content_type_signed_data_is_unwrapped_too(
    pki: DevPki, verifier: Verifier, doctor_attached: bytes
) -> None:
    outer = _sign_content_info(pki, doctor_attached, signer=SEAL)
    outer = forge.with_revocation_data(pki, outer, SEAL, at=datetime.now(UTC))
    assert (
        tamper.load(outer)["content"]["encap_content_info"]["content_type"].native == "signed_data"
    )
    report = verifier.verify(outer)
    assert layers(report) == [
        ("S1", 0, Indication.TOTAL_PASSED, None),
        ("L1.S1", 1, Indication.TOTAL_PASSED, None),
    ]
    assert report.signatures[1].qualification is Qualification.QESEAL


# The gate's policy over layered reports.


def test_the_gate_accepts_a_sealed_referral(sealed_report: ValidationReport) -> None:
    for kind in DOCEX_GATE_2026.qualifications:
        assert DOCEX_GATE_2026.decide(sealed_report, kind=kind) == AcceptanceDecision(
            policy="docex-gate-2026", accepted=True
        )


def test_a_seal_without_an_author_signature_is_refused(pki: DevPki, verifier: Verifier) -> None:
    seal_only = verifier.verify(sign_cades(pki, CONTENT, signer=SEAL, level="B-LT", detached=False))
    decision = DOCEX_GATE_2026.decide(seal_only, kind="referral")
    assert decision.reasons == ("S1: a referral must carry a QESig, not a QESeal",)
    # A seal around a seal: the author's layer is still no doctor's signature.
    seal_on_seal = verifier.verify(
        seal(pki, sign_cades(pki, CONTENT, signer=SEAL, level="B-LT", detached=False))
    )
    assert seal_on_seal.indication is Indication.TOTAL_PASSED
    decision = DOCEX_GATE_2026.decide(seal_on_seal, kind="referral")
    assert decision.reasons == (
        "S1: the author's layer of a referral must carry a QESig, not a QESeal",
    )
    # Kinds that accept a facility's seal as their author accept it sealed again.
    assert DOCEX_GATE_2026.decide(seal_on_seal, kind="examination_result").accepted


def test_a_broken_author_signature_under_a_valid_seal_is_refused(
    pki: DevPki, verifier: Verifier, doctor_attached: bytes
) -> None:
    tampered = tamper.change_attached_content(doctor_attached, CONTENT + b"!")
    report = verifier.verify(seal(pki, tampered))
    decision = DOCEX_GATE_2026.decide(report, kind="referral")
    assert not decision.accepted
    assert decision.reasons == (
        f"the signature is not valid (TOTAL_FAILED/HASH_FAILURE): {report.message}",
    )


def test_outer_layers_follow_the_policy(
    pki: DevPki, verifier: Verifier, doctor_attached: bytes, sealed_report: ValidationReport
) -> None:
    # A non-qualified signature around the doctor's: the outer layer's rule refuses it.
    wrapped = verifier.verify(seal(pki, doctor_attached, signer="nonqualified"))
    assert layers(wrapped) == [
        ("S1", 0, Indication.TOTAL_PASSED, None),
        ("L1.S1", 1, Indication.TOTAL_PASSED, None),
    ]
    weak = wrapped.signatures[1].qualification
    assert not weak.is_qualified
    decision = DOCEX_GATE_2026.decide(wrapped, kind="referral")
    assert decision.reasons == (
        f"L1.S1: the signature is {weak}, not QESeal or QESig: {wrapped.signatures[1].message}",
    )
    no_envelopes = AcceptancePolicy(
        name="no-envelopes",
        qualifications={"referral": frozenset({Qualification.QESIG})},
        outer_qualifications=frozenset(),
    )
    assert no_envelopes.decide(sealed_report, kind="referral").reasons == (
        "L1.S1: an outer layer is not accepted at all",
    )
