"""``docex sign KIND``: each kind's signed content reads back to the facts given, and verifies.

Every document is signed once, by the CLI, into one folder (signing B-LT takes a few
seconds); the tests then read each one back as the gate does (the payload of the
signature, then :func:`docex.formats.reading.read_facts`) and run ``docex verify`` over
all of them.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from docex.cli.main import app
from docex.devpki import minimal_pdf
from docex.domain import DocumentKind, ReferralPriority
from docex.formats.facts import Author, ServiceOrder, SignedFacts
from docex.formats.reading import read_facts
from docex.signatures.payload import PayloadSource, signed_payload

REPO = Path(__file__).resolve().parents[2]
TRUST = str(REPO / "certs-dev" / "trust")

PATIENT = "1234567890"
PERSON_ID = "5f0c1d2e-3b4a-4c5d-8e6f-708192a3b4c5"
REFERRAL_ID = uuid.UUID("0b6b2f7e-1c4d-4e8f-9a0b-1c2d3e4f5a6b")
RESULT_ID = uuid.UUID("7d1e0c9b-8a7f-4e6d-9c5b-4a3f2e1d0c9b")
VALID_UNTIL = datetime(2026, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=2)))

DOCTOR_1 = Author(rnokpp="3012345670", edrpou="38291045")  # doctor-ecdsa
DOCTOR_2 = Author(rnokpp="3105678913", edrpou="40123457")  # doctor2-ecdsa
SEAL_1 = Author(rnokpp=None, edrpou="38291045")  # facility-seal


def sign(*args: str) -> Result:
    result = CliRunner().invoke(app, ["sign", *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every kind signed by the CLI; the moment before signing is under ``"before"``."""
    out = tmp_path_factory.mktemp("signed")
    pdf = out / "report.pdf"
    pdf.write_bytes(minimal_pdf("A development sample report."))
    note = out / "note.txt"
    note.write_bytes(b"a note, signed detached")
    files = {
        "referral": out / "referral.p7s",
        "referral-detached": out / "referral.json.p7s",
        "result": out / "result.p7s",
        "result-seal": out / "result-seal.p7s",
        "recall": out / "recall.p7s",
        "cancel": out / "cancel.p7s",
        "receipt": out / "receipt.p7s",
        "signed-pdf": out / "report-signed.pdf",
        "pdf-manifest": out / "report-signed.pdf.manifest.p7s",
        "note-signature": out / "note.txt.p7s",
        "note-manifest": out / "note.txt.p7s.manifest.p7s",
    }
    doctor = ("--signer", "doctor-ecdsa")
    sign(
        "referral",
        *("--patient", PATIENT, "--performer", "40123457", "--service", "K-CARD-01"),
        *("--service-text", "Cardiology consultation", "--priority", "urgent"),
        *("--valid-until", VALID_UNTIL.isoformat(), *doctor, "-o", str(files["referral"])),
    )
    sign(
        "referral",
        *("--patient", PERSON_ID, "--service", "K-CARD-01", "--service-text", "Cardiology"),
        *(*doctor, "--detached", "-o", str(files["referral-detached"])),
    )
    sign(
        "result",
        *("--answers", str(REFERRAL_ID), "--patient", PATIENT, "--conclusion", "ECG normal"),
        *("--signer", "doctor2-ecdsa", "-o", str(files["result"])),
    )
    sign(
        "result",
        *("--recipient", "40123457", "--replaces", str(RESULT_ID), "--patient", PATIENT),
        *("--signer", "facility-seal", "-o", str(files["result-seal"])),
    )
    sign(
        "recall",
        *("--referral", str(REFERRAL_ID), "--patient", PATIENT, "--reason", "patient moved"),
        *(*doctor, "-o", str(files["recall"])),
    )
    sign(
        "cancel",
        *("--referral", str(REFERRAL_ID), "--patient", PATIENT, *doctor),
        *("-o", str(files["cancel"])),
    )
    sign(
        "receipt",
        *("--document", str(RESULT_ID), "--patient", PATIENT, "--signer", "doctor2-ecdsa"),
        *("-o", str(files["receipt"])),
    )
    sign(str(pdf), *doctor)  # the plain `docex sign FILE`: PAdES, to report-signed.pdf
    sign(
        "manifest",
        str(files["signed-pdf"]),
        *("--patient", PATIENT, "--recipient", "40123457", *doctor),
    )
    sign(str(note), *doctor)  # detached CAdES beside note.txt
    sign(
        "manifest",
        str(files["note-signature"]),
        *("--content", str(note), "--patient", PATIENT, *doctor),
    )
    return files


def facts_of(kind: DocumentKind, signature: Path, content: Path | None = None) -> SignedFacts:
    """What the gate reads from the signed content of ``signature``."""
    detached = content.read_bytes() if content is not None else None
    return read_facts(kind, signed_payload(signature.read_bytes(), detached).data)


def recent(moment: datetime) -> bool:
    return timedelta(0) <= datetime.now(UTC) - moment < timedelta(minutes=10)


def test_referral_reads_back_to_the_options(signed: dict[str, Path]) -> None:
    payload = signed_payload(signed["referral"].read_bytes())
    assert payload.source is PayloadSource.ATTACHED  # attached unless --detached
    facts = read_facts(DocumentKind.REFERRAL, payload.data)
    assert recent(facts.authored_at)
    assert facts == SignedFacts(
        format="referral/1",
        kind=DocumentKind.REFERRAL,
        patient_ref=PATIENT,
        author=DOCTOR_1,
        authored_at=facts.authored_at,
        recipient_edrpou="40123457",
        order=ServiceOrder(
            service_code="K-CARD-01",
            service_text="Cardiology consultation",
            priority=ReferralPriority.URGENT,
            valid_until=VALID_UNTIL,
        ),
    )


def test_detached_writes_the_content_beside_the_signature(signed: dict[str, Path]) -> None:
    content = signed["referral-detached"].with_suffix("")
    assert content.name == "referral.json"
    payload = signed_payload(signed["referral-detached"].read_bytes(), content.read_bytes())
    assert payload.source is PayloadSource.DETACHED
    facts = read_facts(DocumentKind.REFERRAL, payload.data)
    assert (facts.patient_ref, facts.recipient_edrpou) == (PERSON_ID, None)
    assert facts.order == ServiceOrder(
        service_code="K-CARD-01",
        service_text="Cardiology",
        priority=ReferralPriority.ROUTINE,
        valid_until=None,
    )
    # The content is what building.encode makes: compact JSON with sorted members.
    text = content.read_text(encoding="utf-8")
    assert json.dumps(json.loads(text), sort_keys=True, separators=(",", ":")) == text


def test_result_answers_the_referral_given(signed: dict[str, Path]) -> None:
    facts = facts_of(DocumentKind.EXAMINATION_RESULT, signed["result"])
    assert facts == SignedFacts(
        format="examination-result/1",
        kind=DocumentKind.EXAMINATION_RESULT,
        patient_ref=PATIENT,
        author=DOCTOR_2,
        authored_at=facts.authored_at,
        answers_document_id=REFERRAL_ID,
    )


def test_a_sealed_correction_names_the_organization_as_author(signed: dict[str, Path]) -> None:
    facts = facts_of(DocumentKind.EXAMINATION_RESULT, signed["result-seal"])
    assert (facts.author, facts.recipient_edrpou, facts.replaces_document_id) == (
        SEAL_1,
        "40123457",
        RESULT_ID,
    )
    assert facts.answers_document_id is None


@pytest.mark.parametrize(
    ("name", "kind", "focus", "author"),
    [
        ("recall", DocumentKind.REFERRAL_RECALL, REFERRAL_ID, DOCTOR_1),
        ("cancel", DocumentKind.REFERRAL_CANCELLATION, REFERRAL_ID, DOCTOR_1),
        ("receipt", DocumentKind.RECEIPT, RESULT_ID, DOCTOR_2),
    ],
)
def test_tasks_name_what_they_act_on(
    signed: dict[str, Path], name: str, kind: DocumentKind, focus: uuid.UUID, author: Author
) -> None:
    facts = facts_of(kind, signed[name])
    expected_format = "receipt/1" if kind is DocumentKind.RECEIPT else "referral-status-change/1"
    assert recent(facts.authored_at)
    assert facts == SignedFacts(
        format=expected_format,
        kind=kind,
        patient_ref=PATIENT,
        author=author,
        authored_at=facts.authored_at,
        answers_document_id=focus,
    )


def test_recall_carries_its_reason(signed: dict[str, Path]) -> None:
    content = signed_payload(signed["recall"].read_bytes()).data
    assert json.loads(content)["statusReason"] == {"text": "patient moved"}


def test_manifest_names_the_signed_pdf(signed: dict[str, Path]) -> None:
    pdf = signed["signed-pdf"].read_bytes()
    facts = facts_of(DocumentKind.MEDICAL_DOCUMENT, signed["pdf-manifest"])
    assert facts == SignedFacts(
        format="document-manifest/1",
        kind=DocumentKind.MEDICAL_DOCUMENT,
        patient_ref=PATIENT,
        author=DOCTOR_1,
        authored_at=facts.authored_at,
        recipient_edrpou="40123457",
        document_sha256=hashlib.sha256(pdf).hexdigest(),
    )
    attachment = json.loads(signed_payload(signed["pdf-manifest"].read_bytes()).data)["content"]
    assert attachment[0]["attachment"]["contentType"] == "application/pdf"
    assert attachment[0]["attachment"]["size"] == len(pdf)


def test_manifest_of_a_detached_signature_names_its_content(signed: dict[str, Path]) -> None:
    facts = facts_of(DocumentKind.MEDICAL_DOCUMENT, signed["note-manifest"])
    assert facts.document_sha256 == hashlib.sha256(b"a note, signed detached").hexdigest()
    assert facts.recipient_edrpou is None
    attachment = json.loads(signed_payload(signed["note-manifest"].read_bytes()).data)
    assert attachment["content"][0]["attachment"]["contentType"] == "text/plain"


def test_every_signed_document_verifies_total_passed(signed: dict[str, Path]) -> None:
    files = [str(path) for path in signed.values()]
    result = CliRunner().invoke(app, ["verify", "--trust", TRUST, "--format", "json", *files])
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    verdicts = {Path(r["file"]).name: (r["indication"], r["qualification"]) for r in reports}
    sealed = {"result-seal.p7s"}
    messages = {Path(r["file"]).name: r["message"] for r in reports}
    assert verdicts == {
        path.name: ("TOTAL_PASSED", "QESeal" if path.name in sealed else "QESig")
        for path in signed.values()
    }, messages
    assert {r["signatures"][0]["format"] for r in reports if r["file"].endswith(".p7s")} == {
        "CAdES-BASELINE-LT"
    }
    assert result.exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["result", "--answers", str(REFERRAL_ID), "--recipient", "40123457"],
            "a result answering a referral goes to the referral's issuer; it names no recipient",
        ),
        (
            ["referral", "--service", "K", "--service-text", "K", "--performer", "4012"],
            "performer[0].identifier: a facility is identified by urn:ua:edrpou and 8 digits",
        ),
        (["recall", "--referral", str(REFERRAL_ID), "--signer", "nobody"], "unknown signer"),
    ],
)
def test_content_the_gate_would_refuse_is_not_signed(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "refused.p7s"
    signer = [] if "--signer" in args else ["--signer", "doctor-ecdsa"]
    result = CliRunner().invoke(app, ["sign", *args, "--patient", PATIENT, *signer, "-o", str(out)])
    assert result.exit_code == 3, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_a_patient_that_is_neither_rnokpp_nor_uuid_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "sign",
            "receipt",
            *("--document", str(RESULT_ID), "--patient", "12345", "--signer", "doctor-ecdsa"),
            *("-o", str(tmp_path / "r.p7s")),
        ],
    )
    assert result.exit_code == 3
    assert result.stderr.strip() == (
        "docex: error: patient '12345': an RNOKPP (10 digits) or an eHealth person id"
    )


def test_a_validity_end_without_offset_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "sign",
            "referral",
            *("--patient", PATIENT, "--service", "K", "--service-text", "K"),
            *("--signer", "doctor-ecdsa", "--valid-until", "2026-12-31T23:59:59"),
            *("-o", str(tmp_path / "r.p7s")),
        ],
    )
    assert result.exit_code == 3
    assert "has no offset" in result.output


def test_a_manifest_of_an_unsigned_pdf_is_refused(tmp_path: Path) -> None:
    pdf = tmp_path / "plain.pdf"
    pdf.write_bytes(minimal_pdf("unsigned"))
    result = CliRunner().invoke(
        app, ["sign", "manifest", str(pdf), "--patient", PATIENT, "--signer", "doctor-ecdsa"]
    )
    assert result.exit_code == 3
    assert f"{pdf} is not signed yet" in result.stderr
    assert not (tmp_path / "plain.pdf.manifest.p7s").exists()


def test_options_may_come_before_the_file(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_bytes(b"hello")
    result = CliRunner().invoke(app, ["sign", "--signer", "doctor-ecdsa", "--attached", str(note)])
    assert result.exit_code == 0, result.output
    payload = signed_payload((tmp_path / "note.txt.p7s").read_bytes())
    assert (payload.source, payload.data) == (PayloadSource.ATTACHED, b"hello")


def test_help_lists_every_kind() -> None:
    result = CliRunner().invoke(app, ["sign", "--help"])
    assert result.exit_code == 0
    listing = result.output.partition("\nCommands:\n")[2]
    commands = re.findall(r"^  (\w+)  ", listing, re.MULTILINE)
    assert commands == ["referral", "result", "recall", "cancel", "receipt", "manifest", "file"]
    assert "[development only]" in result.output


def test_content_out_names_where_the_detached_content_goes(tmp_path: Path) -> None:
    out, content = tmp_path / "cancel.p7s", tmp_path / "elsewhere" / "task.json"
    content.parent.mkdir()
    sign(
        "cancel",
        *("--referral", str(REFERRAL_ID), "--patient", PATIENT, "--signer", "doctor-ecdsa"),
        *("--detached", "-o", str(out), "--content-out", str(content)),
    )
    facts = facts_of(DocumentKind.REFERRAL_CANCELLATION, out, content)
    assert (facts.answers_document_id, facts.author) == (REFERRAL_ID, DOCTOR_1)
    assert not (tmp_path / "cancel.json").exists()


def test_a_dstu_signer_signs_with_gost_and_is_the_author(tmp_path: Path) -> None:
    out = tmp_path / "referral-dstu.p7s"
    sign(
        "referral",
        *("--patient", PATIENT, "--service", "K-CARD-01", "--service-text", "Cardiology"),
        *("--signer", "doctor-dstu", "-o", str(out)),
    )
    facts = facts_of(DocumentKind.REFERRAL, out)
    assert facts.author == Author(rnokpp="3244556677", edrpou="38291045")
    trust = str(REPO / "certs-dev" / "trust-dstu")
    result = CliRunner().invoke(app, ["verify", "--trust", trust, "--format", "json", str(out)])
    report = json.loads(result.stdout)
    assert (report["indication"], report["qualification"]) == ("TOTAL_PASSED", "QESig")
    assert result.exit_code == 0
