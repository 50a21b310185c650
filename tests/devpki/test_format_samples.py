"""The committed format samples in ``certs-dev/samples`` say what their README says."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from docex.cli.main import app
from docex.devpki.format_samples import SAMPLE_VALID_UNTIL
from docex.domain import DocumentKind, ReferralPriority
from docex.formats.facts import Author, ServiceOrder, SignedFacts
from docex.formats.reading import read_facts
from docex.signatures.payload import PayloadSource, signed_payload

CERTS_DEV = Path(__file__).resolve().parents[2] / "certs-dev"
SAMPLES = CERTS_DEV / "samples"
SIGNED_AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
PATIENT = "1234567890"
DOCTOR_ECDSA = Author(rnokpp="3012345670", edrpou="38291045")


def facts(kind: DocumentKind, name: str, content: str | None = None) -> SignedFacts:
    detached = (SAMPLES / content).read_bytes() if content else None
    return read_facts(kind, signed_payload((SAMPLES / name).read_bytes(), detached).data)


def test_the_referral_sample_is_addressed_to_facility_2() -> None:
    assert facts(DocumentKind.REFERRAL, "referral.p7s") == SignedFacts(
        format="referral/1",
        kind=DocumentKind.REFERRAL,
        patient_ref=PATIENT,
        author=DOCTOR_ECDSA,
        authored_at=SIGNED_AT,
        recipient_edrpou="40123457",
        order=ServiceOrder(
            service_code="K-CARD-01",
            service_text="Cardiology consultation",
            priority=ReferralPriority.ROUTINE,
            valid_until=SAMPLE_VALID_UNTIL,
        ),
    )


def test_the_detached_referral_is_another_unaddressed_one() -> None:
    payload = signed_payload(
        (SAMPLES / "referral.json.p7s").read_bytes(), (SAMPLES / "referral.json").read_bytes()
    )
    assert payload.source is PayloadSource.DETACHED
    read = read_facts(DocumentKind.REFERRAL, payload.data)
    assert (read.author, read.recipient_edrpou, read.order) == (
        DOCTOR_ECDSA,
        None,
        ServiceOrder(
            service_code="K-NEUR-01",
            service_text="Neurology consultation",
            priority=ReferralPriority.ROUTINE,
            valid_until=SAMPLE_VALID_UNTIL,
        ),
    )


def test_the_result_sample_goes_to_facility_1() -> None:
    assert facts(DocumentKind.EXAMINATION_RESULT, "result.p7s") == SignedFacts(
        format="examination-result/1",
        kind=DocumentKind.EXAMINATION_RESULT,
        patient_ref=PATIENT,
        author=Author(rnokpp="3105678913", edrpou="40123457"),
        authored_at=SIGNED_AT,
        recipient_edrpou="38291045",
    )


def test_the_manifest_names_the_committed_pdf() -> None:
    pdf = (SAMPLES / "examination-result.pdf").read_bytes()
    assert facts(DocumentKind.MEDICAL_DOCUMENT, "examination-result.pdf.manifest.p7s") == (
        SignedFacts(
            format="document-manifest/1",
            kind=DocumentKind.MEDICAL_DOCUMENT,
            patient_ref=PATIENT,
            author=Author(rnokpp="2987654320", edrpou="38291045"),  # doctor-rsa, as the PDF
            authored_at=SIGNED_AT,
            recipient_edrpou="40123457",
            document_sha256=hashlib.sha256(pdf).hexdigest(),
        )
    )


def test_the_nonqualified_referral_is_well_formed() -> None:
    read = facts(DocumentKind.REFERRAL, "referral-nonqualified.p7s")
    assert (read.author, read.recipient_edrpou) == (
        Author(rnokpp="2876543211", edrpou="40123457"),
        "38291045",
    )


def test_the_format_samples_verify_as_the_readme_says() -> None:
    names = [
        "referral.p7s",
        "referral.json.p7s",
        "result.p7s",
        "examination-result.pdf.manifest.p7s",
        "referral-nonqualified.p7s",
    ]
    files = [str(SAMPLES / name) for name in names]
    args = ["verify", "--trust", str(CERTS_DEV / "trust"), "--format", "json", *files]
    result = CliRunner().invoke(app, args)
    reports = {Path(r["file"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    assert {name: (r["indication"], r["qualification"]) for name, r in reports.items()} == {
        "referral.p7s": ("TOTAL_PASSED", "QESig"),
        "referral.json.p7s": ("TOTAL_PASSED", "QESig"),
        "result.p7s": ("TOTAL_PASSED", "QESig"),
        "examination-result.pdf.manifest.p7s": ("TOTAL_PASSED", "QESig"),
        "referral-nonqualified.p7s": ("TOTAL_PASSED", "AdESig"),
    }
    assert {r["signatures"][0]["format"] for r in reports.values()} == {"CAdES-BASELINE-LT"}
