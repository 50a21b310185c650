"""Employees: the doctors and specialists whose qualified signatures documents carry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from docex.clock import now_or
from docex.db.engine import flush_or_conflict
from docex.db.registry import Employee, Facility
from docex.domain import EmployeeRole, FacilityStatus
from docex.errors import ConflictError, NotFoundError
from docex.registry.facilities import get_facility
from docex.registry.identifiers import check_name, check_rnokpp
from docex.registry.records import EmployeeRecord

MAX_NAME_LENGTH = 300


def add_employee(
    session: Session,
    *,
    facility_id: int,
    rnokpp: str,
    full_name: str,
    role: EmployeeRole,
) -> EmployeeRecord:
    """Register an active employee of an active facility.

    ``ConflictError`` if the facility is inactive or already lists this RNOKPP (a former
    employee coming back is reactivated with :func:`reactivate_employee` instead, so that
    the history of who signed what keeps one row per person and facility).
    """
    rnokpp = check_rnokpp(rnokpp)
    full_name = check_name(full_name, what="employee name", max_length=MAX_NAME_LENGTH)
    facility = get_facility(session, facility_id=facility_id)
    if not facility.active:
        raise ConflictError(f"facility {facility.edrpou} is inactive")
    message = f"facility {facility.edrpou} already lists employee {rnokpp}"
    if _row(session, facility_id, rnokpp) is not None:
        raise ConflictError(message)
    row = Employee(
        facility_id=facility_id, rnokpp=rnokpp, full_name=full_name, role=role, active=True
    )
    session.add(row)
    flush_or_conflict(session, message)
    return EmployeeRecord.of(row)


def list_employees(
    session: Session, *, facility_id: int, include_inactive: bool = False
) -> list[EmployeeRecord]:
    """A facility's employees ordered by RNOKPP; only active ones unless asked otherwise."""
    query = select(Employee).where(Employee.facility_id == facility_id).order_by(Employee.rnokpp)
    if not include_inactive:
        query = query.where(Employee.active.is_(True))
    return [EmployeeRecord.of(row) for row in session.scalars(query)]


def deactivate_employee(
    session: Session, *, facility_id: int, rnokpp: str, now: datetime | None = None
) -> EmployeeRecord:
    """Mark an employee as no longer working at the facility; idempotent."""
    row = _existing(session, facility_id, check_rnokpp(rnokpp))
    if row.active:
        row.active = False
        row.deactivated_at = now_or(now)
        session.flush()
    return EmployeeRecord.of(row)


def reactivate_employee(session: Session, *, facility_id: int, rnokpp: str) -> EmployeeRecord:
    """Mark a former employee as working at the facility again; idempotent."""
    row = _existing(session, facility_id, check_rnokpp(rnokpp))
    if not row.active:
        row.active = True
        row.deactivated_at = None
        session.flush()
    return EmployeeRecord.of(row)


def find_active_employee(
    session: Session, *, facility_id: int, rnokpp: str
) -> EmployeeRecord | None:
    """The active employee with this RNOKPP at this facility, if the facility is active too.

    ``None`` means "this person may not sign for this facility"; the caller decides what
    that means for the document at hand.
    """
    row = session.scalar(
        select(Employee)
        .join(Facility, Facility.id == Employee.facility_id)
        .where(
            Employee.facility_id == facility_id,
            Employee.rnokpp == check_rnokpp(rnokpp),
            Employee.active.is_(True),
            Facility.status == FacilityStatus.ACTIVE,
        )
    )
    return None if row is None else EmployeeRecord.of(row)


def _row(session: Session, facility_id: int, rnokpp: str) -> Employee | None:
    return session.scalar(
        select(Employee).where(Employee.facility_id == facility_id, Employee.rnokpp == rnokpp)
    )


def _existing(session: Session, facility_id: int, rnokpp: str) -> Employee:
    row = _row(session, facility_id, rnokpp)
    if row is None:
        # Named by EDRPOU, the code people know the facility by, not our row id.
        facility = get_facility(session, facility_id=facility_id)
        raise NotFoundError(f"facility {facility.edrpou} has no employee {rnokpp}")
    return row
