"""Frozen records of referrals, which the referral and submission use cases return.

Facilities appear in them by EDRPOU code, the identifier the parties know each other by;
the registry's integer ids stay inside the service. The codes come from the rows' view-only
relationships to their facilities, so a listing joins them in (:data:`WITH_FACILITIES`)
instead of reading each facility on its own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import joinedload

from docex.db.referrals import Referral, ReferralTransition
from docex.domain import ReferralPriority, ReferralStatus

if TYPE_CHECKING:
    from sqlalchemy.orm.interfaces import LoaderOption

    from docex.db.registry import Facility

WITH_FACILITIES: tuple[LoaderOption, ...] = (
    # Every referral has an issuer, so its join can be an inner one.
    joinedload(Referral.issuer, innerjoin=True),
    joinedload(Referral.performer),
    joinedload(Referral.taken_by),
)
"""Loader options for a query of referrals whose records will be made: one query, joined."""

TRANSITION_WITH_FACILITY: tuple[LoaderOption, ...] = (
    joinedload(ReferralTransition.actor_facility),
)
"""Loader options for a query of transitions whose records will be made."""


def _edrpou(facility: Facility | None) -> str | None:
    return None if facility is None else facility.edrpou


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralRecord:
    """A referral's routing state as it stood when it was read."""

    id: uuid.UUID
    document_id: uuid.UUID
    """The signed referral document."""
    requisition_number: str
    """The number the patient carries to the performer (``XXXX-XXXX-XXXX``)."""
    status: ReferralStatus
    issuer_edrpou: str
    performer_edrpou: str | None
    """The facility the referral is addressed to; ``None`` for an unaddressed referral."""
    taken_by_edrpou: str | None
    """The facility working on it (``in_progress``) or that completed it."""
    patient_ref: str
    service_code: str
    service_text: str
    priority: ReferralPriority
    valid_until: datetime
    result_document_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Referral) -> ReferralRecord:
        """The record of a loaded row (call inside the unit of work that loaded it).

        A row loaded with :data:`WITH_FACILITIES` has its facilities already; any other
        reads them here, from the session's identity map where it can.
        """
        return cls(
            id=row.id,
            document_id=row.document_id,
            requisition_number=row.requisition_number,
            status=row.status,
            issuer_edrpou=row.issuer.edrpou,
            performer_edrpou=_edrpou(row.performer),
            taken_by_edrpou=_edrpou(row.taken_by),
            patient_ref=row.patient_ref,
            service_code=row.service_code,
            service_text=row.service_text,
            priority=row.priority,
            valid_until=row.valid_until,
            result_document_id=row.result_document_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TransitionRecord:
    """One step of a referral's history: from which status to which, who, when, why."""

    from_status: ReferralStatus | None
    to_status: ReferralStatus
    actor_edrpou: str | None
    """The facility that acted; ``None`` when docex itself did (expiry)."""
    reason: str
    document_id: uuid.UUID | None
    """The signed document behind the change (result, recall, cancellation), if any."""
    at: datetime

    @classmethod
    def of(cls, row: ReferralTransition) -> TransitionRecord:
        """The record of a loaded row (call inside the unit of work that loaded it)."""
        return cls(
            from_status=None if row.from_status is None else ReferralStatus(row.from_status),
            to_status=ReferralStatus(row.to_status),
            actor_edrpou=_edrpou(row.actor_facility),
            reason=row.reason,
            document_id=row.document_id,
            at=row.created_at,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralView:
    """A referral and its history, oldest step first."""

    referral: ReferralRecord
    history: tuple[TransitionRecord, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralPage:
    """A page of referrals; ``next_cursor`` reads the next one (``None`` on the last)."""

    items: tuple[ReferralRecord, ...]
    next_cursor: str | None
