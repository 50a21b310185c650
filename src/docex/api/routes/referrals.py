"""Referrals: read with history, list, take, release.

The handlers only translate: bodies are in :mod:`docex.api.schemas.referrals`, the work is
:mod:`docex.services.referrals`'.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool

from docex.api.deps import PrincipalDep, RuntimeDep
from docex.api.pagination import page_parameters
from docex.api.schemas.referrals import (
    ReferralOut,
    ReferralPageOut,
    ReferralWithHistory,
    TakeByRequisition,
)
from docex.db.pagination import PageRequest
from docex.domain import ReferralStatus
from docex.services import referrals

router = APIRouter(prefix="/api/v1/referrals", tags=["referrals"])

_EDRPOU = "^[0-9]{8}$"


@router.get("", response_model=ReferralPageOut)
def list_referrals(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    status: ReferralStatus | None = None,
    role: Annotated[
        Literal["issued", "performing"] | None,
        Query(description="This facility's part in the referral."),
    ] = None,
    issuer: Annotated[
        str | None, Query(pattern=_EDRPOU, description="The issuing facility's EDRPOU.")
    ] = None,
    performer: Annotated[
        str | None,
        Query(
            pattern=_EDRPOU,
            description="EDRPOU of the facility it is addressed to or taken by.",
        ),
    ] = None,
    # Keyword-only: the page parameters come last, as in the published schema.
    *,
    page: Annotated[
        PageRequest, Depends(page_parameters(default=50, maximum=referrals.MAX_PAGE_SIZE))
    ],
) -> ReferralPageOut:
    """Referrals this facility issued or performs (auditors: all), oldest first."""
    found = referrals.list_referrals(
        sessions=runtime.sessions,
        principal=principal,
        status=status,
        role=role,
        issuer_edrpou=issuer,
        performer_edrpou=performer,
        cursor=page.cursor,
        limit=page.limit,
    )
    return ReferralPageOut(
        items=[ReferralOut.of(r) for r in found.items], next_cursor=found.next_cursor
    )


@router.get("/{referral_id}", response_model=ReferralWithHistory)
def get_referral(
    referral_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> ReferralWithHistory:
    """A referral with its history (who changed what, when, why)."""
    view = referrals.get_referral(
        sessions=runtime.sessions, principal=principal, referral_id=referral_id
    )
    return ReferralWithHistory.of_view(view)


@router.post("/take", response_model=ReferralWithHistory)
async def take_by_requisition(
    body: TakeByRequisition, runtime: RuntimeDep, principal: PrincipalDep
) -> ReferralWithHistory:
    """Take a referral the patient brought: by requisition number and patient reference."""
    view = await run_in_threadpool(
        referrals.take,
        sessions=runtime.sessions,
        events=runtime.events,
        principal=principal,
        requisition_number=body.requisition_number,
        patient_ref=body.patient_ref,
    )
    return ReferralWithHistory.of_view(view)


@router.post("/{referral_id}/take", response_model=ReferralWithHistory)
def take(
    referral_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> ReferralWithHistory:
    """Take a referral addressed to this facility (active → in_progress)."""
    view = referrals.take(
        sessions=runtime.sessions,
        events=runtime.events,
        principal=principal,
        referral_id=referral_id,
    )
    return ReferralWithHistory.of_view(view)


@router.post("/{referral_id}/release", response_model=ReferralWithHistory)
def release(
    referral_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> ReferralWithHistory:
    """Give a referral back (in_progress → active)."""
    view = referrals.release(
        sessions=runtime.sessions,
        events=runtime.events,
        principal=principal,
        referral_id=referral_id,
    )
    return ReferralWithHistory.of_view(view)
