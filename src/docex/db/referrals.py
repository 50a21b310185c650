"""Tables of referrals between facilities: each referral's routing state and its history.

The lifecycle these rows follow is :mod:`docex.referrals.lifecycle`. The facilities a
referral names are reachable as read-only relationships, so that a query can join their
EDRPOU codes in (the codes are what the API shows; the integer ids stay inside).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docex.clock import utcnow
from docex.db.base import Base, enum_type
from docex.db.documents import Document
from docex.db.registry import ApiToken, Facility
from docex.domain import ReferralPriority, ReferralStatus


class Referral(Base):
    """A referral (service request): the signed document plus its routing state."""

    __tablename__ = "referrals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Document.id), unique=True)
    requisition_number: Mapped[str] = mapped_column(String(20), unique=True)
    """Short number the patient carries to the performer (``XXXX-XXXX-XXXX``)."""
    issuer_facility_id: Mapped[int] = mapped_column(ForeignKey(Facility.id), index=True)
    performer_facility_id: Mapped[int | None] = mapped_column(ForeignKey(Facility.id), index=True)
    """The facility the referral is addressed to; ``None`` for an unaddressed referral."""
    taken_by_facility_id: Mapped[int | None] = mapped_column(ForeignKey(Facility.id))
    """The performer currently working on it (``in_progress``), or that completed it."""
    patient_ref: Mapped[str] = mapped_column(String(200), index=True)
    service_code: Mapped[str] = mapped_column(String(64))
    service_text: Mapped[str] = mapped_column(String(500))
    priority: Mapped[ReferralPriority] = mapped_column(
        enum_type(ReferralPriority, "referral_priority"), default=ReferralPriority.ROUTINE
    )
    valid_until: Mapped[datetime]
    status: Mapped[ReferralStatus] = mapped_column(
        enum_type(ReferralStatus, "referral_status"), default=ReferralStatus.ACTIVE, index=True
    )
    result_document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(Document.id))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    # View-only: the ids above are what is written; these only read the facilities.
    issuer: Mapped[Facility] = relationship(foreign_keys=[issuer_facility_id], viewonly=True)
    performer: Mapped[Facility | None] = relationship(
        foreign_keys=[performer_facility_id], viewonly=True
    )
    taken_by: Mapped[Facility | None] = relationship(
        foreign_keys=[taken_by_facility_id], viewonly=True
    )


class ReferralTransition(Base):
    """One change of a referral's status: who, when, why."""

    __tablename__ = "referral_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Referral.id), index=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor_facility_id: Mapped[int | None] = mapped_column(ForeignKey(Facility.id))
    actor_token_id: Mapped[int | None] = mapped_column(ForeignKey(ApiToken.id))
    """``None`` for the system (expiry)."""
    reason: Mapped[str] = mapped_column(String(500))
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(Document.id))
    """The signed document behind the change (result, recall, cancellation), if any."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor_facility: Mapped[Facility | None] = relationship(viewonly=True)
    """The acting facility, read-only (see :class:`Referral`'s relationships)."""
