"""Documents name their facilities by EDRPOU, loaded with them in one statement."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from docex.audit.log import SYSTEM
from docex.composition import Container
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.domain import DocumentKind
from docex.services import deliveries
from docex.services.documents import get_document, list_documents
from docex.services.facilities import add_facility
from docex.services.submission import Submission, submit_document
from tests import signed_content
from tests.services.conftest import FACILITY_A, FACILITY_B, Parties, send_result_to_a


@contextmanager
def _selects(runtime: Container) -> Iterator[list[str]]:
    """The SELECT statements run on the runtime's engine meanwhile."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(runtime.engine, "before_cursor_execute", count)


def test_every_record_names_sender_and_recipient_by_edrpou(
    runtime: Container, parties: Parties, pki: DevPki
) -> None:
    _, result = send_result_to_a(runtime, parties, pki)
    submitted = result.document
    assert (submitted.submitted_by_edrpou, submitted.recipient_edrpou) == (FACILITY_B, FACILITY_A)
    read = get_document(runtime, principal=parties.a, document_id=submitted.id)
    (listed,) = list_documents(runtime, principal=parties.auditor).documents
    (item,) = deliveries.inbox(sessions=runtime.sessions, principal=parties.a).items
    for record in (read, listed, item.document):
        assert (record.submitted_by_edrpou, record.recipient_edrpou) == (FACILITY_B, FACILITY_A)


def test_a_listing_costs_the_same_statements_for_one_document_or_many(
    runtime: Container, parties: Parties, pki: DevPki
) -> None:
    send_result_to_a(runtime, parties, pki)
    with _selects(runtime) as one:
        assert len(list_documents(runtime, principal=parties.auditor).documents) == 1
    # Each further document goes to a facility of its own: a load per row would show.
    for edrpou in ("31000001", "31000002", "31000003"):
        add_facility(sessions=runtime.sessions, actor=SYSTEM, edrpou=edrpou, name=edrpou)
        send_result_to(runtime, parties, pki, edrpou)
    with _selects(runtime) as four:
        listed = list_documents(runtime, principal=parties.auditor).documents
    assert [d.recipient_edrpou for d in listed] == [FACILITY_A, "31000001", "31000002", "31000003"]
    # No query per document for its facilities: they come joined to the page.
    assert len(four) == len(one)
    assert any("JOIN facilities" in s for s in four)
    with _selects(runtime) as inbox:
        (item,) = deliveries.inbox(sessions=runtime.sessions, principal=parties.a).items
    assert item.document.submitted_by_edrpou == FACILITY_B
    assert len(inbox) == 1
    assert "JOIN facilities" in inbox[0]


def send_result_to(runtime: Container, parties: Parties, pki: DevPki, edrpou: str) -> None:
    """B sends the facility ``edrpou`` an examination result."""
    content = signed_content.result(pki, "doctor2-ecdsa", recipient=edrpou)
    signed = sign_cades(pki, content, signer="doctor2-ecdsa", level="B-LT", detached=False)
    submit_document(
        runtime,
        principal=parties.b,
        submission=Submission(signed=io.BytesIO(signed), kind=DocumentKind.EXAMINATION_RESULT),
    )
