"""Deliveries: a facility's inbox, fetching, and acknowledging receipt.

``pending`` → ``fetched`` when the recipient downloads the content → ``acknowledged`` when
it confirms receipt (here without a signature, or through the submission gate with a signed
``receipt`` document, see :mod:`docex.services.routing`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from docex.db.engine import unit_of_work
from docex.db.models import Document, DocumentKind, utcnow
from docex.db.pagination import PageRequest, TimeIdKeyset, cut_page, keyset_select
from docex.db.routing_models import Delivery, DeliveryStatus
from docex.errors import NotFoundError, PermissionDeniedError, TransitionError
from docex.registry.records import Principal
from docex.services.events import Events
from docex.services.runtime import Runtime

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class InboxItem:
    """A delivery with the document it carries."""

    delivery: Delivery
    document: Document


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    next_cursor: str | None


def inbox(
    runtime: Runtime,
    *,
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
    query = keyset_select(query, TimeIdKeyset(Delivery.created_at, Delivery.id), page)
    with unit_of_work(runtime.sessions) as session:
        fetched = [InboxItem(delivery=d, document=doc) for d, doc in session.execute(query).all()]
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
    runtime: Runtime, *, principal: Principal, delivery_id: uuid.UUID, now: datetime | None = None
) -> Delivery:
    """Confirm receipt of a fetched delivery without a signed receipt."""
    if principal.facility_id is None:
        raise PermissionDeniedError("only the recipient facility acknowledges a delivery")
    with unit_of_work(runtime.sessions) as session:
        delivery = get_delivery(session, principal=principal, delivery_id=delivery_id, lock=True)
        if delivery.status is DeliveryStatus.PENDING:
            raise TransitionError("fetch the document before acknowledging it")
        if delivery.status is DeliveryStatus.ACKNOWLEDGED:
            raise TransitionError("the delivery is already acknowledged")
        delivery.status = DeliveryStatus.ACKNOWLEDGED
        delivery.acknowledged_at = now or utcnow()
        runtime.events.delivery_acknowledged(session, delivery=delivery, principal=principal)
        session.flush()
        session.expunge(delivery)
    return delivery


def get_delivery(
    session: Session, *, principal: Principal, delivery_id: uuid.UUID, lock: bool = False
) -> Delivery:
    """A delivery to the principal's facility (auditors may read any)."""
    delivery = session.get(Delivery, delivery_id, with_for_update=lock)
    if delivery is None or (
        not principal.is_auditor and delivery.facility_id != principal.facility_id
    ):
        raise NotFoundError(f"no delivery {delivery_id}")
    return delivery
