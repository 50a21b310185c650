"""Facilities: the healthcare providers that exchange documents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from docex.clock import now_or
from docex.db.engine import flush_or_conflict
from docex.db.registry import Facility
from docex.domain import FacilityStatus
from docex.errors import ConflictError, NotFoundError
from docex.registry.identifiers import check_edrpou, check_name
from docex.registry.records import FacilityRecord

MAX_NAME_LENGTH = 500


def add_facility(session: Session, *, edrpou: str, name: str) -> FacilityRecord:
    """Register an active facility; ``ConflictError`` if its EDRPOU is already registered."""
    edrpou = check_edrpou(edrpou)
    name = check_name(name, what="facility name", max_length=MAX_NAME_LENGTH)
    message = f"a facility with EDRPOU {edrpou} is already registered"
    if session.scalar(select(Facility.id).where(Facility.edrpou == edrpou)) is not None:
        raise ConflictError(message)
    row = Facility(edrpou=edrpou, name=name, status=FacilityStatus.ACTIVE)
    session.add(row)
    flush_or_conflict(session, message)
    return FacilityRecord.of(row)


def get_facility(session: Session, *, facility_id: int) -> FacilityRecord:
    """The facility with this id, active or not; ``NotFoundError`` if there is none."""
    return FacilityRecord.of(_row_by_id(session, facility_id))


def get_facility_by_edrpou(session: Session, *, edrpou: str) -> FacilityRecord:
    """The facility with this EDRPOU code, active or not; ``NotFoundError`` if none."""
    edrpou = check_edrpou(edrpou)
    row = session.scalar(select(Facility).where(Facility.edrpou == edrpou))
    if row is None:
        raise NotFoundError(f"no facility with EDRPOU {edrpou}")
    return FacilityRecord.of(row)


def list_facilities(session: Session, *, include_inactive: bool = False) -> list[FacilityRecord]:
    """Registered facilities ordered by EDRPOU; only active ones unless asked otherwise."""
    query = select(Facility).order_by(Facility.edrpou)
    if not include_inactive:
        query = query.where(Facility.status == FacilityStatus.ACTIVE)
    return [FacilityRecord.of(row) for row in session.scalars(query)]


def deactivate_facility(
    session: Session, *, facility_id: int, now: datetime | None = None
) -> FacilityRecord:
    """Stop a facility from using the exchange; its tokens stop authenticating at once.

    Its documents, employees and tokens are kept: provenance must stay provable.
    Deactivating an inactive facility changes nothing.
    """
    row = _row_by_id(session, facility_id)
    if row.status is FacilityStatus.ACTIVE:
        row.status = FacilityStatus.INACTIVE
        row.deactivated_at = now_or(now)
        session.flush()
    return FacilityRecord.of(row)


def _row_by_id(session: Session, facility_id: int) -> Facility:
    row = session.get(Facility, facility_id)
    if row is None:
        raise NotFoundError(f"no facility with id {facility_id}")
    return row
