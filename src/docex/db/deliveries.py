"""The table of routed documents on their way to recipient facilities."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from docex.clock import utcnow
from docex.db.base import Base, enum_type
from docex.db.documents import Document
from docex.db.registry import Facility
from docex.domain import DeliveryStatus


class Delivery(Base):
    """A routed document on its way to one recipient facility."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("document_id", "facility_id"),
        Index("ix_deliveries_facility_created", "facility_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Document.id), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey(Facility.id))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_type(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    receipt_document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(Document.id))
