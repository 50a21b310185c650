"""Reading the facts of each signed format, and refusing what is ambiguous or malformed."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from docex.domain import DocumentKind, ReferralPriority
from docex.errors import SignedContentError
from docex.formats import building
from docex.formats.facts import Author
from docex.formats.reading import MAX_CONTENT_BYTES, read_facts

PATIENT = "1234567890"
DOCTOR = "3012345678"
A, B = "38291045", "40123457"
REFERRAL_DOC = uuid.UUID("6c9310ba-0bb9-4db6-ac99-bbafa50c47d1")


def _referral(**changes: Any) -> dict[str, Any]:
    resource = building.referral(
        patient=PATIENT,
        author_rnokpp=DOCTOR,
        author_edrpou=A,
        service_code="K-CARD-01",
        service_text="Cardiology consultation",
        performer_edrpou=B,
        priority=ReferralPriority.URGENT,
    )
    resource.update(changes)
    return resource


def _refused(kind: DocumentKind, content: bytes | dict[str, Any]) -> SignedContentError:
    raw = content if isinstance(content, bytes) else json.dumps(content).encode()
    with pytest.raises(SignedContentError) as caught:
        read_facts(kind, raw)
    return caught.value


def test_referral_facts() -> None:
    facts = read_facts(DocumentKind.REFERRAL, building.encode(_referral()))
    assert facts.format == "referral/1"
    assert facts.patient_ref == PATIENT
    assert facts.author == Author(rnokpp=DOCTOR, edrpou=A)
    assert facts.recipient_edrpou == B
    assert facts.order is not None
    assert (facts.order.service_code, facts.order.service_text, facts.order.priority) == (
        "K-CARD-01",
        "Cardiology consultation",
        ReferralPriority.URGENT,
    )


def test_result_answering_a_referral_names_it() -> None:
    content = building.examination_result(
        patient=PATIENT, author_rnokpp=DOCTOR, author_edrpou=B, answers=REFERRAL_DOC
    )
    facts = read_facts(DocumentKind.EXAMINATION_RESULT, building.encode(content))
    assert (facts.answers_document_id, facts.replaces_document_id) == (REFERRAL_DOC, None)
    assert facts.author == Author(rnokpp=DOCTOR, edrpou=B)


def test_correction_names_what_it_replaces_and_a_seal_is_the_organization() -> None:
    content = building.examination_result(
        patient=PATIENT,
        author_rnokpp=None,
        author_edrpou=B,
        replaces=REFERRAL_DOC,
        recipient_edrpou=A,
    )
    facts = read_facts(DocumentKind.EXAMINATION_RESULT, building.encode(content))
    assert facts.replaces_document_id == REFERRAL_DOC
    assert facts.recipient_edrpou == A
    assert facts.author == Author(rnokpp=None, edrpou=B)


@pytest.mark.parametrize(
    "kind", [DocumentKind.REFERRAL_RECALL, DocumentKind.REFERRAL_CANCELLATION, DocumentKind.RECEIPT]
)
def test_task_names_the_document_it_acts_on(kind: DocumentKind) -> None:
    content = building.task(
        kind=kind, focus=REFERRAL_DOC, patient=PATIENT, author_rnokpp=DOCTOR, author_edrpou=A
    )
    facts = read_facts(kind, building.encode(content))
    assert (facts.kind, facts.answers_document_id, facts.patient_ref) == (
        kind,
        REFERRAL_DOC,
        PATIENT,
    )


def test_a_recall_is_not_a_cancellation() -> None:
    recall = building.task(
        kind=DocumentKind.REFERRAL_RECALL,
        focus=REFERRAL_DOC,
        patient=PATIENT,
        author_rnokpp=DOCTOR,
        author_edrpou=A,
    )
    error = _refused(DocumentKind.REFERRAL_CANCELLATION, recall)
    assert error.path == "code.coding[0]"


def test_manifest_names_the_file_by_sha256() -> None:
    digest = "ab" * 32
    content = building.manifest(
        payload_sha256=digest,
        patient=PATIENT,
        author_rnokpp=DOCTOR,
        author_edrpou=A,
        content_type="application/pdf",
        recipient_edrpou=B,
    )
    facts = read_facts(DocumentKind.MEDICAL_DOCUMENT, building.encode(content))
    assert (facts.document_sha256, facts.recipient_edrpou) == (digest, B)


@pytest.mark.parametrize(
    ("content", "path", "message"),
    [
        (b'{"resourceType": "ServiceRequest", "resourceType": "Task"}', "", "appears twice"),
        (b"\xff\xfe", "", "not UTF-8"),
        (b"[]", "", "not a JSON object"),
        ({"resourceType": "Task"}, "resourceType", "is a FHIR ServiceRequest"),
        (
            _referral(meta={"profile": ["urn:docex:profile:referral|9"]}),
            "meta.profile",
            "names its format",
        ),
        (_referral(recipent_edrpou=B), "recipent_edrpou", "not an element"),
        (_referral(authoredOn="2026-12-01"), "authoredOn", "timezone"),
        (_referral(status="draft"), "status", "'active'"),
        (
            _referral(subject={"identifier": {"system": "urn:ua:rnokpp", "value": "12"}}),
            "subject.identifier",
            "10 digits",
        ),
        (
            _referral(performer=[{"identifier": {"system": "urn:ua:edrpou", "value": "123"}}]),
            "performer[0].identifier",
            "8 digits",
        ),
        (_referral(requester={"reference": "#nobody"}), "requester.reference", "no contained"),
        (_referral(requisition={"value": "X"}), "requisition", "assigns the requisition"),
    ],
)
def test_malformed_content_is_refused_with_its_path(
    content: bytes | dict[str, Any], path: str, message: str
) -> None:
    error = _refused(DocumentKind.REFERRAL, content)
    assert error.path == path
    assert message in str(error)


def test_contained_author_path_names_the_contained_resource() -> None:
    resource = _referral()
    resource["contained"][0]["practitioner"]["identifier"]["value"] = "x"
    error = _refused(DocumentKind.REFERRAL, resource)
    assert error.path == "contained[0].practitioner.identifier"


def test_oversized_content_is_refused_before_parsing() -> None:
    error = _refused(DocumentKind.REFERRAL, b" " * (MAX_CONTENT_BYTES + 1))
    assert "larger than" in str(error)


def test_a_correction_must_say_it_is_one() -> None:
    content = building.examination_result(
        patient=PATIENT, author_rnokpp=DOCTOR, author_edrpou=B, replaces=REFERRAL_DOC
    )
    content["status"] = "final"
    assert _refused(DocumentKind.EXAMINATION_RESULT, content).path == "status"
