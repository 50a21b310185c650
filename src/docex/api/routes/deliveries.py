"""A facility's inbox and acknowledgements."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from docex.api.deps import PrincipalDep, RuntimeDep
from docex.api.multipart import MULTIPART
from docex.api.pagination import page_parameters
from docex.api.schemas.documents import DocumentOut
from docex.api.submission_body import receipt_submission
from docex.db.engine import unit_of_work
from docex.db.models import Document, DocumentKind
from docex.db.pagination import PageRequest
from docex.db.routing_models import Delivery, DeliveryStatus
from docex.services import deliveries
from docex.services.submission import submit_document

router = APIRouter(prefix="/api/v1", tags=["deliveries"])


class DeliveryOut(BaseModel):
    """A delivery to this facility."""

    id: uuid.UUID
    status: DeliveryStatus
    created_at: datetime
    fetched_at: datetime | None
    acknowledged_at: datetime | None
    receipt_document_id: uuid.UUID | None

    @classmethod
    def of(cls, row: Delivery) -> DeliveryOut:
        return cls(
            id=row.id,
            status=row.status,
            created_at=row.created_at,
            fetched_at=row.fetched_at,
            acknowledged_at=row.acknowledged_at,
            receipt_document_id=row.receipt_document_id,
        )


class InboxItemOut(DeliveryOut):
    """A delivery and the document it carries."""

    document: DocumentOut


class InboxPageOut(BaseModel):
    items: list[InboxItemOut]
    next_cursor: str | None


@router.get("/inbox", response_model=InboxPageOut)
def inbox(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    status: DeliveryStatus | None = None,
    kind: DocumentKind | None = None,
    since: datetime | None = None,
    # Keyword-only: the page parameters come last, as in the published schema.
    *,
    page: Annotated[
        PageRequest, Depends(page_parameters(default=50, maximum=deliveries.MAX_PAGE_SIZE))
    ],
) -> InboxPageOut:
    """Documents routed to this facility, oldest first; fetch content to mark them fetched."""
    found = deliveries.inbox(
        runtime,
        principal=principal,
        status=status,
        kind=kind,
        since=since,
        cursor=page.cursor,
        limit=page.limit,
    )
    return InboxPageOut(
        items=[
            InboxItemOut(
                **DeliveryOut.of(i.delivery).model_dump(), document=DocumentOut.of(i.document)
            )
            for i in found.items
        ],
        next_cursor=found.next_cursor,
    )


@router.post("/deliveries/{delivery_id}/ack", response_model=DeliveryOut)
async def acknowledge(
    delivery_id: uuid.UUID, request: Request, runtime: RuntimeDep, principal: PrincipalDep
) -> DeliveryOut:
    """Confirm receipt of a fetched delivery; optionally attach a signed receipt
    (multipart ``file``, verified like any other document)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != MULTIPART:
        row = await run_in_threadpool(
            deliveries.acknowledge, runtime, principal=principal, delivery_id=delivery_id
        )
        return DeliveryOut.of(row)

    def document_of_delivery() -> tuple[uuid.UUID, str]:
        with unit_of_work(runtime.sessions) as session:
            delivery = deliveries.get_delivery(
                session, principal=principal, delivery_id=delivery_id
            )
            document = session.get(Document, delivery.document_id)
            assert document is not None  # noqa: S101 -- a foreign key guarantees it
            return document.id, document.patient_ref

    document_id, patient_ref = await run_in_threadpool(document_of_delivery)
    submission = await receipt_submission(
        request, answers_document_id=document_id, patient_ref=patient_ref
    )
    try:
        await run_in_threadpool(
            submit_document, runtime, principal=principal, submission=submission
        )
    finally:
        submission.signed.close()

    def reload() -> Delivery:
        with unit_of_work(runtime.sessions) as session:
            delivery = deliveries.get_delivery(
                session, principal=principal, delivery_id=delivery_id
            )
            session.expunge(delivery)
            return delivery

    return DeliveryOut.of(await run_in_threadpool(reload))
