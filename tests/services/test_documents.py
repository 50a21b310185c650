"""Reading documents: the use cases hand out frozen records, never ORM rows."""

from __future__ import annotations

import dataclasses

import pytest

from docex.composition import Container
from docex.devpki.pki import DevPki
from docex.domain import DocumentKind, DocumentStatus
from docex.services import deliveries
from docex.services.documents import get_document, list_documents, open_content
from docex.services.records import DocumentRecord
from tests import signed_content
from tests.services.conftest import Parties, send_result_to_a


def test_every_reading_use_case_returns_the_same_frozen_record(
    runtime: Container, parties: Parties, pki: DevPki
) -> None:
    signed, result = send_result_to_a(runtime, parties, pki)
    submitted = result.document
    assert isinstance(submitted, DocumentRecord)
    assert (submitted.kind, submitted.status, submitted.patient_ref) == (
        DocumentKind.EXAMINATION_RESULT,
        DocumentStatus.CURRENT,
        signed_content.PATIENT,
    )
    assert submitted.validation_report["indication"] == submitted.indication == "TOTAL_PASSED"
    read = get_document(runtime, principal=parties.a, document_id=submitted.id)
    (listed,) = list_documents(runtime, principal=parties.a).documents
    (item,) = deliveries.inbox(sessions=runtime.sessions, principal=parties.a).items
    opened = open_content(runtime, principal=parties.a, document_id=submitted.id)
    try:
        assert b"".join(opened.body) == signed
    finally:
        opened.body.close()
    assert (opened.sha256, opened.size) == (submitted.sha256, len(signed))
    for record in (read, listed, item.document, opened.document):
        assert record == submitted
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.patient_ref = "someone else"  # type: ignore[misc]  # the point: it is frozen
