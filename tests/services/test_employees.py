"""Registering and deactivating employees through the use cases, each change audited
without the employee's RNOKPP."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.chain import canonical_json
from docex.audit.log import SYSTEM
from docex.db.audit import AuditEntry
from docex.domain import ActorKind, EmployeeRole, Outcome
from docex.errors import ConflictError, NotFoundError
from docex.registry.records import FacilityRecord
from docex.services.employees import add_employee, deactivate_employee, list_employees
from docex.services.facilities import add_facility, deactivate_facility
from tests.services.conftest import audit_entries

RNOKPP = "3012345678"


@pytest.fixture
def clinic(sessions: sessionmaker[Session]) -> FacilityRecord:
    return add_facility(sessions=sessions, actor=SYSTEM, edrpou="11111111", name="Clinic")


def _mentions_rnokpp(entry: AuditEntry) -> bool:
    return RNOKPP in canonical_json(entry.details).decode() or RNOKPP in (entry.target_id or "")


def test_add_records_employee_add(sessions: sessionmaker[Session], clinic: FacilityRecord) -> None:
    added = add_employee(
        sessions=sessions,
        actor=SYSTEM,
        facility_edrpou="11111111",
        rnokpp=RNOKPP,
        full_name="Іваненко Іван",
        role=EmployeeRole.SPECIALIST,
    )
    assert added.facility_edrpou == "11111111"
    assert (added.employee.rnokpp, added.employee.role) == (RNOKPP, EmployeeRole.SPECIALIST)
    (entry,) = audit_entries(sessions, actions.EMPLOYEE_ADD)
    assert (entry.actor_kind, entry.target_type, entry.target_id) == (
        ActorKind.SYSTEM,
        "employee",
        str(added.employee.id),
    )
    assert entry.details == {"facility_edrpou": clinic.edrpou, "role": "specialist"}
    assert entry.actor_employee_rnokpp is None
    assert not _mentions_rnokpp(entry)


def test_inactive_facility_is_refused(
    sessions: sessionmaker[Session], clinic: FacilityRecord
) -> None:
    deactivate_facility(sessions=sessions, actor=SYSTEM, edrpou=clinic.edrpou)
    with pytest.raises(ConflictError, match=r"^facility 11111111 is inactive$"):
        add_employee(
            sessions=sessions,
            actor=SYSTEM,
            facility_edrpou="11111111",
            rnokpp=RNOKPP,
            full_name="A",
            role=EmployeeRole.DOCTOR,
        )
    (refused,) = audit_entries(sessions, actions.EMPLOYEE_ADD)
    assert (refused.outcome, refused.details) == (
        Outcome.REFUSED,
        {
            "facility_edrpou": "11111111",
            "role": "doctor",
            "code": "conflict",
            "reason": "facility 11111111 is inactive",
        },
    )


def test_unknown_facility_is_not_found(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(NotFoundError, match=r"^no facility with EDRPOU 22222222$"):
        list_employees(sessions=sessions, facility_edrpou="22222222")


def test_deactivate_records_once_and_lists(
    sessions: sessionmaker[Session], clinic: FacilityRecord
) -> None:
    other = add_facility(sessions=sessions, actor=SYSTEM, edrpou="22222222", name="Other")
    for edrpou in ("11111111", "22222222"):
        add_employee(
            sessions=sessions,
            actor=SYSTEM,
            facility_edrpou=edrpou,
            rnokpp=RNOKPP,
            full_name="A",
            role=EmployeeRole.DOCTOR,
        )
    first = deactivate_employee(
        sessions=sessions, actor=SYSTEM, facility_edrpou="11111111", rnokpp=RNOKPP
    )
    again = deactivate_employee(
        sessions=sessions, actor=SYSTEM, facility_edrpou="11111111", rnokpp=RNOKPP
    )
    assert not first.employee.active
    assert again.employee.deactivated_at == first.employee.deactivated_at
    (entry,) = audit_entries(sessions, actions.EMPLOYEE_DEACTIVATE)
    assert (entry.actor_kind, entry.target_id, entry.details) == (
        ActorKind.SYSTEM,
        str(first.employee.id),
        {"facility_edrpou": clinic.edrpou},
    )
    assert not _mentions_rnokpp(entry)
    active = list_employees(sessions=sessions)
    assert [(e.facility_edrpou, e.employee.facility_id) for e in active] == [("22222222", other.id)]
    everyone = list_employees(sessions=sessions, include_inactive=True)
    assert [e.facility_edrpou for e in everyone] == ["11111111", "22222222"]


def test_deactivating_an_unknown_employee_is_not_found(
    sessions: sessionmaker[Session], clinic: FacilityRecord
) -> None:
    with pytest.raises(NotFoundError, match=f"^facility 11111111 has no employee {RNOKPP}$"):
        deactivate_employee(
            sessions=sessions, actor=SYSTEM, facility_edrpou="11111111", rnokpp=RNOKPP
        )
    (refused,) = audit_entries(sessions, actions.EMPLOYEE_DEACTIVATE)
    # The message quoted the RNOKPP; the log keeps the reason without it.
    assert (refused.outcome, refused.details) == (
        Outcome.REFUSED,
        {
            "facility_edrpou": "11111111",
            "code": "not-found",
            "reason": "facility 11111111 has no employee …",
        },
    )
    assert not _mentions_rnokpp(refused)
