"""Tables of the routing between facilities: referrals, their history, deliveries, and
the reports of later re-validations."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from docex.db.models import Base, _enum, utcnow


class ReferralStatus(StrEnum):
    """A referral's lifecycle, after FHIR ServiceRequest and eHealth service requests."""

    ACTIVE = "active"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    RECALLED = "recalled"
    ENTERED_IN_ERROR = "entered_in_error"


class ReferralPriority(StrEnum):
    """FHIR request priority."""

    ROUTINE = "routine"
    URGENT = "urgent"
    ASAP = "asap"
    STAT = "stat"


class DeliveryStatus(StrEnum):
    """How far a routed document got with its recipient."""

    PENDING = "pending"
    FETCHED = "fetched"
    ACKNOWLEDGED = "acknowledged"


class Referral(Base):
    """A referral (service request): the signed document plus its routing state."""

    __tablename__ = "referrals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), unique=True)
    requisition_number: Mapped[str] = mapped_column(String(20), unique=True)
    """Short number the patient carries to the performer (``XXXX-XXXX-XXXX``)."""
    issuer_facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    performer_facility_id: Mapped[int | None] = mapped_column(
        ForeignKey("facilities.id"), index=True
    )
    """The facility the referral is addressed to; ``None`` for an unaddressed referral."""
    taken_by_facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    """The performer currently working on it (``in_progress``), or that completed it."""
    patient_ref: Mapped[str] = mapped_column(String(200), index=True)
    service_code: Mapped[str] = mapped_column(String(64))
    service_text: Mapped[str] = mapped_column(String(500))
    priority: Mapped[ReferralPriority] = mapped_column(
        _enum(ReferralPriority, "referral_priority"), default=ReferralPriority.ROUTINE
    )
    valid_until: Mapped[datetime]
    status: Mapped[ReferralStatus] = mapped_column(
        _enum(ReferralStatus, "referral_status"), default=ReferralStatus.ACTIVE, index=True
    )
    result_document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReferralTransition(Base):
    """One change of a referral's status: who, when, why."""

    __tablename__ = "referral_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor_facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    actor_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    """``None`` for the system (expiry)."""
    reason: Mapped[str] = mapped_column(String(500))
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    """The signed document behind the change (result, recall, cancellation), if any."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """A routed document on its way to one recipient facility."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("document_id", "facility_id"),
        Index("ix_deliveries_facility_created", "facility_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    receipt_document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))


class Revalidation(Base):
    """A later re-verification of a stored document, kept beside the acceptance report."""

    __tablename__ = "revalidations"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), index=True)
    requested_by_token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"))
    validation_time: Mapped[datetime]
    indication: Mapped[str] = mapped_column(String(32))
    qualification: Mapped[str] = mapped_column(String(32))
    report: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
