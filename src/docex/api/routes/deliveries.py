"""A facility's inbox and acknowledgements."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from docex.api.deps import PrincipalDep, RuntimeDep
from docex.api.multipart import MULTIPART
from docex.api.pagination import page_parameters
from docex.api.schemas.documents import DocumentOut
from docex.db.pagination import PageRequest
from docex.domain import DeliveryStatus, DocumentKind
from docex.errors import InputError
from docex.services import deliveries
from docex.services.deliveries import DeliveryRecord

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
    def of(cls, row: DeliveryRecord) -> DeliveryOut:
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
        sessions=runtime.sessions,
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
    (multipart ``file``, and ``content`` if detached: a signed ``receipt/1`` Task naming
    the delivered document, verified like any other document)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != MULTIPART:
        row = await run_in_threadpool(
            deliveries.acknowledge,
            sessions=runtime.sessions,
            events=runtime.events,
            principal=principal,
            delivery_id=delivery_id,
        )
        return DeliveryOut.of(row)
    form = await request.form(max_files=2, max_fields=5)
    receipt = form.get("file")
    content = form.get("content")
    if not isinstance(receipt, UploadFile):
        raise InputError("the multipart form needs a 'file' part with the signed receipt")
    try:
        row = await run_in_threadpool(
            deliveries.acknowledge_with_receipt,
            runtime,
            principal=principal,
            delivery_id=delivery_id,
            receipt=receipt.file,
            receipt_content=content.file if isinstance(content, UploadFile) else None,
        )
    finally:
        await form.close()
    return DeliveryOut.of(row)
