"""Bodies of the referrals resource; facilities are named by EDRPOU code.

Each response model is read from the record of the same fields
(:mod:`docex.services.referral_records`), so a field the record carries is a line here.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from docex.domain import ReferralPriority, ReferralStatus
from docex.services.referral_records import ReferralRecord, ReferralView, TransitionRecord


class TransitionOut(BaseModel):
    """One step of a referral's history."""

    model_config = ConfigDict(from_attributes=True)

    from_status: ReferralStatus | None
    to_status: ReferralStatus
    actor_edrpou: str | None = Field(
        description="EDRPOU of the facility that acted; null when docex did (expiry)."
    )
    reason: str
    document_id: uuid.UUID | None = Field(
        description="The signed document behind the change (result, recall, cancellation)."
    )
    at: datetime

    @classmethod
    def of(cls, record: TransitionRecord) -> TransitionOut:
        """The step as the record has it."""
        return cls.model_validate(record)


class ReferralOut(BaseModel):
    """A referral's routing state."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    document_id: uuid.UUID
    requisition_number: str
    status: ReferralStatus
    issuer_edrpou: str = Field(description="EDRPOU of the facility that issued the referral.")
    performer_edrpou: str | None = Field(
        description="EDRPOU of the facility it is addressed to; null for an unaddressed one."
    )
    taken_by_edrpou: str | None = Field(
        description="EDRPOU of the facility working on it or that completed it."
    )
    patient_ref: str
    service_code: str
    service_text: str
    priority: ReferralPriority
    valid_until: datetime
    result_document_id: uuid.UUID | None
    created_at: datetime

    @classmethod
    def of(cls, record: ReferralRecord) -> ReferralOut:
        """The referral as the record has it."""
        return cls.model_validate(record)


class ReferralWithHistory(ReferralOut):
    """A referral and every transition it went through."""

    history: list[TransitionOut]

    @classmethod
    def of_view(cls, view: ReferralView) -> ReferralWithHistory:
        """The referral and its history as the view has them."""
        return cls(
            **ReferralOut.of(view.referral).model_dump(),
            history=[TransitionOut.of(step) for step in view.history],
        )


class ReferralPageOut(BaseModel):
    """A page of referrals, oldest first; pass ``next_cursor`` as ``cursor`` for the next."""

    items: list[ReferralOut]
    next_cursor: str | None


class TakeByRequisition(BaseModel):
    """What a patient brings to a facility: the requisition number and who they are."""

    requisition_number: str = Field(min_length=1, max_length=40)
    patient_ref: str = Field(min_length=1, max_length=200)
