"""Acknowledging a delivery with a signed receipt: one use case, called directly."""

from __future__ import annotations

import io
import uuid

import pytest

from docex.audit import actions
from docex.composition import Container
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.domain import ActorKind, DeliveryStatus, DocumentKind
from docex.errors import NotFoundError, PermissionDeniedError, TransitionError
from docex.services import deliveries
from docex.services.documents import get_document, open_content
from tests import signed_content
from tests.services.conftest import Parties, audit_entries, send_result_to_a


def _result_for_a(runtime: Container, parties: Parties, pki: DevPki) -> uuid.UUID:
    """B sends A an examination result; the id of A's delivery."""
    send_result_to_a(runtime, parties, pki)
    (item,) = deliveries.inbox(sessions=runtime.sessions, principal=parties.a).items
    return item.delivery.id


def _receipt(runtime: Container, parties: Parties, pki: DevPki) -> io.BytesIO:
    """A's signed receipt for the document B sent it."""
    (item,) = deliveries.inbox(sessions=runtime.sessions, principal=parties.a).items
    content = signed_content.task(pki, DocumentKind.RECEIPT, "doctor-rsa", focus=item.document.id)
    return io.BytesIO(sign_cades(pki, content, signer="doctor-rsa", level="B-LT", detached=False))


def test_signed_receipt_acknowledges_the_delivery(
    runtime: Container, parties: Parties, pki: DevPki
) -> None:
    delivery_id = _result_for_a(runtime, parties, pki)
    (item,) = deliveries.inbox(sessions=runtime.sessions, principal=parties.a).items
    download = open_content(runtime, principal=parties.a, document_id=item.document.id)
    download.body.close()
    document = download.document

    acked = deliveries.acknowledge_with_receipt(
        runtime,
        principal=parties.a,
        delivery_id=delivery_id,
        receipt=_receipt(runtime, parties, pki),
    )
    assert isinstance(acked, deliveries.DeliveryRecord)
    assert (acked.id, acked.status) == (delivery_id, DeliveryStatus.ACKNOWLEDGED)
    assert acked.acknowledged_at is not None
    assert acked.receipt_document_id is not None
    receipt = get_document(runtime, principal=parties.a, document_id=acked.receipt_document_id)
    assert (receipt.kind, receipt.answers_document_id, receipt.patient_ref) == (
        DocumentKind.RECEIPT,
        document.id,
        signed_content.PATIENT,
    )
    (ack,) = audit_entries(runtime.sessions, actions.DELIVERY_ACK)
    assert (ack.actor_kind, ack.actor_token_id, ack.target_id) == (
        ActorKind.FACILITY,
        parties.a.token_id,
        str(delivery_id),
    )
    submitted = audit_entries(runtime.sessions, actions.DOCUMENT_SUBMIT)
    assert [e.target_id for e in submitted][-1] == str(acked.receipt_document_id)


def test_receipt_before_fetching_is_refused(
    runtime: Container, parties: Parties, pki: DevPki
) -> None:
    delivery_id = _result_for_a(runtime, parties, pki)
    with pytest.raises(TransitionError, match=r"^fetch the document before acknowledging it$"):
        deliveries.acknowledge_with_receipt(
            runtime,
            principal=parties.a,
            delivery_id=delivery_id,
            receipt=_receipt(runtime, parties, pki),
        )
    (item,) = deliveries.inbox(sessions=runtime.sessions, principal=parties.a).items
    assert (item.delivery.status, item.delivery.receipt_document_id) == (
        DeliveryStatus.PENDING,
        None,
    )
    assert audit_entries(runtime.sessions, actions.DELIVERY_ACK) == []
    (refused,) = audit_entries(runtime.sessions, actions.DOCUMENT_REFUSE)
    assert refused.actor_token_id == parties.a.token_id


def test_someone_elses_delivery_is_not_found(
    runtime: Container, parties: Parties, pki: DevPki
) -> None:
    delivery_id = _result_for_a(runtime, parties, pki)
    with pytest.raises(NotFoundError, match=f"^no delivery {delivery_id}$"):
        deliveries.acknowledge_with_receipt(
            runtime,
            principal=parties.b,
            delivery_id=delivery_id,
            receipt=_receipt(runtime, parties, pki),
        )


def test_an_auditor_submits_no_receipt(runtime: Container, parties: Parties, pki: DevPki) -> None:
    delivery_id = _result_for_a(runtime, parties, pki)
    with pytest.raises(PermissionDeniedError, match=r"only facilities submit them$"):
        deliveries.acknowledge_with_receipt(
            runtime,
            principal=parties.auditor,
            delivery_id=delivery_id,
            receipt=_receipt(runtime, parties, pki),
        )
