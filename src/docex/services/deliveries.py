"""Deliveries: a facility's inbox, fetching, and acknowledging receipt.

``pending`` → ``fetched`` when the recipient downloads the content → ``acknowledged`` when
it confirms receipt: without a signature (:func:`acknowledge`), or with a signed ``receipt``
document that passes the submission gate like any other (:func:`acknowledge_with_receipt`,
see :mod:`docex.referrals.plan`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.log import Actor
from docex.clock import utcnow
from docex.db.deliveries import Delivery
from docex.db.documents import Document
from docex.db.engine import unit_of_work
from docex.db.locks import ROW_LOCK
from docex.db.pagination import PageRequest, TimeIdKeyset, cut_page, keyset_select
from docex.domain import DeliveryStatus, DocumentKind
from docex.errors import NotFoundError, PermissionDeniedError, TransitionError
from docex.registry.records import Principal
from docex.services.admin_audit import audited_refusals
from docex.services.events import Events
from docex.services.records import DocumentRecord, with_facilities
from docex.services.runtime import Runtime
from docex.services.signed_facts import Claims
from docex.services.submission import Submission, submit_document

MAX_PAGE_SIZE = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryRecord:
    """A delivery as it stood when it was read: a snapshot, not a live row."""

    id: uuid.UUID
    document_id: uuid.UUID
    facility_id: int
    status: DeliveryStatus
    created_at: datetime
    fetched_at: datetime | None
    acknowledged_at: datetime | None
    receipt_document_id: uuid.UUID | None

    @classmethod
    def of(cls, row: Delivery) -> DeliveryRecord:
        """Snapshot of a ``deliveries`` row."""
        return cls(
            id=row.id,
            document_id=row.document_id,
            facility_id=row.facility_id,
            status=row.status,
            created_at=row.created_at,
            fetched_at=row.fetched_at,
            acknowledged_at=row.acknowledged_at,
            receipt_document_id=row.receipt_document_id,
        )


@dataclass(frozen=True)
class InboxItem:
    """A delivery with the document it carries (detached from its session)."""

    delivery: DeliveryRecord
    document: DocumentRecord


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    next_cursor: str | None


def inbox(
    *,
    sessions: sessionmaker[Session],
    principal: Principal,
    status: DeliveryStatus | None = None,
    kind: DocumentKind | None = None,
    since: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> InboxPage:
    """The deliveries to the principal's facility, oldest first, a page at a time."""
    if principal.facility_id is None:
        raise PermissionDeniedError("an inbox belongs to a facility")
    page = PageRequest(cursor=cursor, limit=limit).bounded(MAX_PAGE_SIZE)
    query = (
        select(Delivery, Document)
        .join(Document, Document.id == Delivery.document_id)
        .where(Delivery.facility_id == principal.facility_id)
    )
    if status is not None:
        query = query.where(Delivery.status == status)
    if kind is not None:
        query = query.where(Document.kind == kind)
    if since is not None:
        query = query.where(Delivery.created_at >= since)
    query = with_facilities(
        keyset_select(query, TimeIdKeyset(Delivery.created_at, Delivery.id), page)
    )
    with unit_of_work(sessions) as session:
        fetched = [
            InboxItem(delivery=DeliveryRecord.of(d), document=DocumentRecord.of(doc))
            for d, doc in session.execute(query).all()
        ]
        session.expunge_all()
    rows, next_cursor = cut_page(
        fetched, page, lambda item: TimeIdKeyset.cursor(item.delivery.created_at, item.delivery.id)
    )
    return InboxPage(items=rows, next_cursor=next_cursor)


def mark_fetched(
    session: Session,
    *,
    document_id: uuid.UUID,
    principal: Principal,
    events: Events,
    now: datetime | None = None,
) -> None:
    """Record that the recipient downloaded a delivered document (first fetch only)."""
    if principal.facility_id is None:
        return
    delivery = session.scalar(
        select(Delivery).where(
            Delivery.document_id == document_id,
            Delivery.facility_id == principal.facility_id,
            Delivery.status == DeliveryStatus.PENDING,
        )
    )
    if delivery is None:
        return
    delivery.status = DeliveryStatus.FETCHED
    delivery.fetched_at = now or utcnow()
    events.delivery_fetched(session, delivery=delivery, principal=principal)


def acknowledge(
    *,
    sessions: sessionmaker[Session],
    events: Events,
    principal: Principal,
    delivery_id: uuid.UUID,
    now: datetime | None = None,
) -> DeliveryRecord:
    """Confirm receipt of a fetched delivery without a signed receipt, recorded as
    ``delivery.ack`` through ``events`` in the same unit of work; a refused ack (too
    early, twice, not the recipient's) is recorded as a refused ``delivery.ack``."""
    with (
        audited_refusals(
            sessions,
            actor=Actor.from_principal(principal),
            action=actions.DELIVERY_ACK,
            target_type=actions.DELIVERY,
            target_id=str(delivery_id),
        ),
        unit_of_work(sessions) as session,
    ):
        if principal.facility_id is None:
            raise PermissionDeniedError("only the recipient facility acknowledges a delivery")
        delivery = get_delivery(session, principal=principal, delivery_id=delivery_id, lock=True)
        if delivery.status is DeliveryStatus.PENDING:
            raise TransitionError("fetch the document before acknowledging it")
        if delivery.status is DeliveryStatus.ACKNOWLEDGED:
            raise TransitionError("the delivery is already acknowledged")
        delivery.status = DeliveryStatus.ACKNOWLEDGED
        delivery.acknowledged_at = now or utcnow()
        events.delivery_acknowledged(session, delivery=delivery, principal=principal)
        session.flush()
        return DeliveryRecord.of(delivery)


def acknowledge_with_receipt(
    runtime: Runtime,
    *,
    principal: Principal,
    delivery_id: uuid.UUID,
    receipt: IO[bytes],
    receipt_content: IO[bytes] | None = None,
) -> DeliveryRecord:
    """Confirm receipt of a delivery with a signed ``receipt`` document.

    The receipt answers the delivered document and names the same patient; it is verified,
    stored and audited like any submission (:func:`~docex.services.submission.submit_document`),
    and the routing rules acknowledge the delivery in the transaction that stores it. The
    signature is verified outside any transaction, so the delivery is looked up before and
    read back after: both reads, the one change in between. It takes the whole ``runtime``
    because the submission it makes does.
    """
    with unit_of_work(runtime.sessions) as session:
        delivery = get_delivery(session, principal=principal, delivery_id=delivery_id)
        document = session.get(Document, delivery.document_id)
        assert document is not None  # noqa: S101 -- a foreign key guarantees it
        answers_document_id, patient_ref = document.id, document.patient_ref
    submit_document(
        runtime,
        principal=principal,
        submission=Submission(
            signed=receipt,
            content=receipt_content,
            kind=DocumentKind.RECEIPT,
            # The signed receipt must name this document and its patient.
            claims=Claims(patient_ref=patient_ref, answers_document_id=answers_document_id),
        ),
    )
    with unit_of_work(runtime.sessions) as session:
        return DeliveryRecord.of(
            get_delivery(session, principal=principal, delivery_id=delivery_id)
        )


def get_delivery(
    session: Session, *, principal: Principal, delivery_id: uuid.UUID, lock: bool = False
) -> Delivery:
    """A delivery to the principal's facility (auditors may read any)."""
    delivery = session.get(Delivery, delivery_id, with_for_update=ROW_LOCK if lock else None)
    if delivery is None or (
        not principal.is_auditor and delivery.facility_id != principal.facility_id
    ):
        raise NotFoundError(f"no delivery {delivery_id}")
    return delivery
