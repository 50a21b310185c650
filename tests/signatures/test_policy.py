"""The gate's acceptance policy over real validation reports of the development PKI."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from asn1crypto import cms

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.signatures.policy import DOCEX_GATE_2026, AcceptanceDecision, AcceptancePolicy
from docex.signatures.report import Indication, Qualification, ValidationReport
from docex.signatures.verifier import Verifier
from tests.signatures import forge, tamper
from tests.signatures.conftest import CONTENT


@pytest.fixture(scope="module")
def doctor_lt(pki: DevPki, verifier: Verifier) -> ValidationReport:
    return verifier.verify(
        sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT"), content=CONTENT
    )


@pytest.fixture(scope="module")
def seal_lt(pki: DevPki, verifier: Verifier) -> ValidationReport:
    return verifier.verify(
        sign_cades(pki, CONTENT, signer="facility-seal", level="B-LT"), content=CONTENT
    )


@pytest.fixture(scope="module")
def doctor_b(pki: DevPki, verifier: Verifier) -> ValidationReport:
    """A valid QESig at level B: signed, with revocation data, without a time-stamp."""
    sig = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B")
    sig = forge.with_revocation_data(pki, sig, "doctor-ecdsa", at=datetime.now(UTC))
    report = verifier.verify(sig, content=CONTENT)
    assert (report.indication, report.signatures[0].format) == (
        Indication.TOTAL_PASSED,
        "CAdES-BASELINE-B",
    )
    return report


def test_a_doctors_qualified_signature_is_accepted_for_every_kind(
    doctor_lt: ValidationReport,
) -> None:
    for kind in DOCEX_GATE_2026.qualifications:
        decision = DOCEX_GATE_2026.decide(doctor_lt, kind=kind)
        assert decision == AcceptanceDecision(policy="docex-gate-2026", accepted=True)
        assert decision.message == "accepted under policy docex-gate-2026"


@pytest.mark.parametrize(
    ("kind", "accepted"),
    [
        ("referral", False),
        ("referral_recall", False),
        ("referral_cancellation", False),
        ("receipt", False),
        ("examination_result", True),
        ("medical_document", True),
    ],
)
def test_a_seal_only_where_the_kind_allows_it(
    seal_lt: ValidationReport, kind: str, accepted: bool
) -> None:
    assert seal_lt.qualification is Qualification.QESEAL
    decision = DOCEX_GATE_2026.decide(seal_lt, kind=kind)
    assert decision.accepted is accepted
    if not accepted:
        assert decision.reasons == (f"S1: a {kind} must carry a QESig, not a QESeal",)


def test_an_unqualified_signature_is_refused(pki: DevPki, verifier: Verifier) -> None:
    report = verifier.verify(
        sign_cades(pki, CONTENT, signer="no-qscd", level="B-LT"), content=CONTENT
    )
    assert report.indication is Indication.TOTAL_PASSED
    decision = DOCEX_GATE_2026.decide(report, kind="medical_document")
    (reason,) = decision.reasons
    assert reason.startswith("S1: the signature is AdESig-QC, not QESeal or QESig: ")
    assert "qualified signature device" in reason


def test_an_indeterminate_verdict_is_refused_with_the_reason(
    pki: DevPki, verifier: Verifier
) -> None:
    report = verifier.verify(
        sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B"), content=CONTENT
    )
    decision = DOCEX_GATE_2026.decide(report, kind="referral")
    assert not decision.accepted
    assert decision.reasons == (
        f"the signature is not valid (INDETERMINATE/TRY_LATER): {report.message}",
    )
    assert decision.message.startswith(
        "refused under policy docex-gate-2026: the signature is not valid (INDETERMINATE/"
    )


def test_a_broken_timestamp_is_refused_by_the_gate_though_etsi_passes_it(
    pki: DevPki, verifier: Verifier
) -> None:
    good = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT")
    donor = sign_cades(pki, b"another document", signer="doctor-ecdsa", level="B-T")
    report = verifier.verify(tamper.transplant_timestamp(good, donor), content=CONTENT)
    assert report.indication is Indication.TOTAL_PASSED
    decision = DOCEX_GATE_2026.decide(report, kind="referral")
    assert decision.reasons == (
        "S1: a signature time-stamp is broken: the time-stamp's message imprint does not "
        "match the signature value (imprint mismatch)",
    )
    lenient = AcceptancePolicy(
        name="lenient",
        qualifications=DOCEX_GATE_2026.qualifications,
        reject_broken_timestamps=False,
    )
    assert lenient.decide(report, kind="referral").accepted


def test_minimum_level(doctor_b: ValidationReport, doctor_lt: ValidationReport) -> None:
    assert DOCEX_GATE_2026.decide(doctor_b, kind="referral").accepted
    long_term = AcceptancePolicy(
        name="long-term", qualifications=DOCEX_GATE_2026.qualifications, minimum_level="LT"
    )
    assert long_term.decide(doctor_b, kind="referral").reasons == (
        "S1: level B is below the required LT (CAdES-BASELINE-B)",
    )
    assert long_term.decide(doctor_lt, kind="referral").accepted


def test_a_signature_that_is_not_baseline(pki: DevPki, verifier: Verifier) -> None:
    sig = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B")

    def without_ess(attrs: list[cms.CMSAttribute]) -> list[cms.CMSAttribute]:
        return [a for a in attrs if a["type"].native != "signing_certificate_v2"]

    sig = forge.resign(pki, sig, "doctor-ecdsa", without_ess)
    sig = forge.with_revocation_data(pki, sig, "doctor-ecdsa", at=datetime.now(UTC))
    report = verifier.verify(sig, content=CONTENT)
    decision = DOCEX_GATE_2026.decide(report, kind="referral")
    assert decision.reasons[-1] == "S1: the format CMS-NOT-ETSI is not an ETSI baseline"
    assert decision.reasons[0].startswith(
        "the signature is not valid (INDETERMINATE/SIG_CONSTRAINTS_FAILURE): format not baseline"
    )


def test_a_kind_without_a_rule_is_refused(doctor_lt: ValidationReport) -> None:
    decision = DOCEX_GATE_2026.decide(doctor_lt, kind="prescription")
    assert decision.reasons == ("no acceptance rule for documents of kind prescription",)
    assert decision.to_dict() == {
        "policy": "docex-gate-2026",
        "accepted": False,
        "reasons": ["no acceptance rule for documents of kind prescription"],
    }


def test_a_policy_is_a_value() -> None:
    with pytest.raises(ValueError, match="minimum_level must be one of B, T, LT, LTA"):
        AcceptancePolicy(name="bad", minimum_level="X")
    with pytest.raises(TypeError):
        DOCEX_GATE_2026.qualifications["referral"] = frozenset()  # type: ignore[index]


def test_without_requiring_total_passed_an_unqualified_verdict_is_still_refused(
    pki: DevPki, verifier: Verifier
) -> None:
    report = verifier.verify(
        sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B"), content=CONTENT
    )
    lax = AcceptancePolicy(
        name="lax", qualifications=DOCEX_GATE_2026.qualifications, require_total_passed=False
    )
    (reason,) = lax.decide(report, kind="referral").reasons
    assert reason.startswith("S1: the signature is N/A, not QESig: ")
