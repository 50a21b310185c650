"""Referrals: read with history, list, take, release."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from docex.api.deps import PrincipalDep, RuntimeDep
from docex.db.referrals import Referral, ReferralTransition
from docex.domain import ReferralPriority, ReferralStatus
from docex.services import referrals

router = APIRouter(prefix="/api/v1/referrals", tags=["referrals"])


class TransitionOut(BaseModel):
    """One step of a referral's history."""

    from_status: str | None
    to_status: str
    actor_facility_id: int | None = Field(description="None when the system acted (expiry).")
    reason: str
    document_id: uuid.UUID | None
    at: datetime

    @classmethod
    def of(cls, row: ReferralTransition) -> TransitionOut:
        return cls(
            from_status=row.from_status,
            to_status=row.to_status,
            actor_facility_id=row.actor_facility_id,
            reason=row.reason,
            document_id=row.document_id,
            at=row.created_at,
        )


class ReferralOut(BaseModel):
    """A referral's routing state."""

    id: uuid.UUID
    document_id: uuid.UUID
    requisition_number: str
    status: ReferralStatus
    issuer_facility_id: int
    performer_facility_id: int | None
    taken_by_facility_id: int | None
    patient_ref: str
    service_code: str
    service_text: str
    priority: ReferralPriority
    valid_until: datetime
    result_document_id: uuid.UUID | None
    created_at: datetime

    @classmethod
    def of(cls, row: Referral) -> ReferralOut:
        return cls(
            id=row.id,
            document_id=row.document_id,
            requisition_number=row.requisition_number,
            status=row.status,
            issuer_facility_id=row.issuer_facility_id,
            performer_facility_id=row.performer_facility_id,
            taken_by_facility_id=row.taken_by_facility_id,
            patient_ref=row.patient_ref,
            service_code=row.service_code,
            service_text=row.service_text,
            priority=row.priority,
            valid_until=row.valid_until,
            result_document_id=row.result_document_id,
            created_at=row.created_at,
        )


class ReferralWithHistory(ReferralOut):
    """A referral and every transition it went through."""

    history: list[TransitionOut]


class TakeByRequisition(BaseModel):
    """What a patient brings to a facility: the requisition number and who they are."""

    requisition_number: str = Field(min_length=1, max_length=40)
    patient_ref: str = Field(min_length=1, max_length=200)


def _with_history(view: referrals.ReferralView) -> ReferralWithHistory:
    return ReferralWithHistory(
        **ReferralOut.of(view.referral).model_dump(),
        history=[TransitionOut.of(t) for t in view.history],
    )


@router.get("", response_model=list[ReferralOut])
def list_referrals(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    status: ReferralStatus | None = None,
    role: Annotated[str | None, Query(pattern="^(issued|performing)$")] = None,
) -> list[ReferralOut]:
    """Referrals this facility issued or performs (auditors: all)."""
    rows = referrals.list_referrals(runtime, principal=principal, status=status, role=role)
    return [ReferralOut.of(r) for r in rows]


@router.get("/{referral_id}", response_model=ReferralWithHistory)
def get_referral(
    referral_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> ReferralWithHistory:
    """A referral with its history (who changed what, when, why)."""
    return _with_history(
        referrals.get_referral(runtime, principal=principal, referral_id=referral_id)
    )


@router.post("/take", response_model=ReferralWithHistory)
async def take_by_requisition(
    body: TakeByRequisition, runtime: RuntimeDep, principal: PrincipalDep
) -> ReferralWithHistory:
    """Take a referral the patient brought: by requisition number and patient reference."""
    view = await run_in_threadpool(
        referrals.take,
        runtime,
        principal=principal,
        requisition_number=body.requisition_number,
        patient_ref=body.patient_ref,
    )
    return _with_history(view)


@router.post("/{referral_id}/take", response_model=ReferralWithHistory)
def take(
    referral_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> ReferralWithHistory:
    """Take a referral addressed to this facility (active → in_progress)."""
    return _with_history(referrals.take(runtime, principal=principal, referral_id=referral_id))


@router.post("/{referral_id}/release", response_model=ReferralWithHistory)
def release(
    referral_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> ReferralWithHistory:
    """Give a referral back (in_progress → active)."""
    return _with_history(referrals.release(runtime, principal=principal, referral_id=referral_id))
