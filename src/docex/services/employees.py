"""Registering and deactivating the employees of facilities, each change audited.

Employees are named by their facility's EDRPOU and their RNOKPP, as an operator knows
them. The RNOKPP is personal data: audit entries name the employee by row id only, and a
refused change (recorded as refused, like the others) has it blanked out of its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.clock import utcnow
from docex.db.engine import unit_of_work
from docex.db.registry import Facility
from docex.domain import EmployeeRole
from docex.registry import employees, facilities
from docex.registry.records import EmployeeRecord
from docex.services.admin_audit import AdminActor, audited_refusals, record_change


@dataclass(frozen=True, slots=True, kw_only=True)
class FacilityEmployee:
    """An employee and the EDRPOU of the facility they work at."""

    facility_edrpou: str
    employee: EmployeeRecord


def add_employee(
    *,
    sessions: sessionmaker[Session],
    actor: AdminActor,
    facility_edrpou: str,
    rnokpp: str,
    full_name: str,
    role: EmployeeRole,
) -> FacilityEmployee:
    """Register an employee of an active facility, recorded as ``employee.add``.

    ``NotFoundError`` for an unknown facility, ``ConflictError`` if it is inactive or
    already lists the RNOKPP, ``InputError`` for a malformed RNOKPP or name; each recorded
    as a refused ``employee.add``.
    """
    with (
        audited_refusals(
            sessions,
            actor=actor,
            action=actions.EMPLOYEE_ADD,
            target_type=actions.EMPLOYEE,
            details={"facility_edrpou": facility_edrpou[:32], "role": role.value},
            hide=_spellings(rnokpp),
        ),
        unit_of_work(sessions) as session,
    ):
        facility = facilities.get_facility_by_edrpou(session, edrpou=facility_edrpou)
        employee = add_employee_in(
            session,
            actor=actor,
            facility_id=facility.id,
            rnokpp=rnokpp,
            full_name=full_name,
            role=role,
        )
        return FacilityEmployee(facility_edrpou=facility.edrpou, employee=employee)


def add_employee_in(
    session: Session,
    *,
    actor: AdminActor,
    facility_id: int,
    rnokpp: str,
    full_name: str,
    role: EmployeeRole,
) -> EmployeeRecord:
    """:func:`add_employee` inside the caller's unit of work (demo seeding adds several)."""
    employee = employees.add_employee(
        session, facility_id=facility_id, rnokpp=rnokpp, full_name=full_name, role=role
    )
    record_change(
        session,
        actor=actor,
        action=actions.EMPLOYEE_ADD,
        target_type=actions.EMPLOYEE,
        target_id=str(employee.id),
        details={"facility_edrpou": _edrpou(session, facility_id), "role": employee.role.value},
    )
    return employee


def list_employees(
    *,
    sessions: sessionmaker[Session],
    facility_edrpou: str | None = None,
    include_inactive: bool = False,
) -> list[FacilityEmployee]:
    """Employees by facility EDRPOU and RNOKPP, of one facility or of every facility.

    Active ones only unless ``include_inactive``; ``NotFoundError`` for an unknown facility.
    """
    with unit_of_work(sessions) as session:
        if facility_edrpou is not None:
            places = [facilities.get_facility_by_edrpou(session, edrpou=facility_edrpou)]
        else:
            places = facilities.list_facilities(session, include_inactive=True)
        return [
            FacilityEmployee(facility_edrpou=place.edrpou, employee=employee)
            for place in places
            for employee in employees.list_employees(
                session, facility_id=place.id, include_inactive=include_inactive
            )
        ]


def deactivate_employee(
    *, sessions: sessionmaker[Session], actor: AdminActor, facility_edrpou: str, rnokpp: str
) -> FacilityEmployee:
    """Mark an employee as no longer working at the facility, recorded as
    ``employee.deactivate``; deactivating twice changes and records nothing. An unknown
    facility or employee is recorded as a refused ``employee.deactivate``."""
    with (
        audited_refusals(
            sessions,
            actor=actor,
            action=actions.EMPLOYEE_DEACTIVATE,
            target_type=actions.EMPLOYEE,
            details={"facility_edrpou": facility_edrpou[:32]},
            hide=_spellings(rnokpp),
        ),
        unit_of_work(sessions) as session,
    ):
        facility = facilities.get_facility_by_edrpou(session, edrpou=facility_edrpou)
        now = utcnow()
        employee = employees.deactivate_employee(
            session, facility_id=facility.id, rnokpp=rnokpp, now=now
        )
        # An employee deactivated earlier keeps that time: then this call changed nothing.
        if employee.deactivated_at == now:
            record_change(
                session,
                actor=actor,
                action=actions.EMPLOYEE_DEACTIVATE,
                target_type=actions.EMPLOYEE,
                target_id=str(employee.id),
                details={"facility_edrpou": facility.edrpou},
            )
        return FacilityEmployee(facility_edrpou=facility.edrpou, employee=employee)


def _spellings(rnokpp: str) -> tuple[str, ...]:
    """How an error message may quote the RNOKPP given: as typed, and trimmed."""
    return tuple({rnokpp, rnokpp.strip()} - {""})


def _edrpou(session: Session, facility_id: int | None) -> str | None:
    """The facility's EDRPOU, as the audit trail names facilities (never by internal id)."""
    if facility_id is None:
        return None
    facility = session.get(Facility, facility_id)
    return None if facility is None else facility.edrpou
