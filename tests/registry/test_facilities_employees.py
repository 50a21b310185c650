"""Facilities and employees in the registry."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from docex.db import unit_of_work
from docex.domain import EmployeeRole, FacilityStatus
from docex.errors import ConflictError, InputError, NotFoundError
from docex.registry import (
    add_employee,
    add_facility,
    deactivate_employee,
    deactivate_facility,
    find_active_employee,
    get_facility,
    get_facility_by_edrpou,
    list_employees,
    list_facilities,
    reactivate_employee,
)

DOCTOR = "1234567890"


def test_add_and_list_facilities(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        b = add_facility(session, edrpou="22222222", name="  Лікарня   №2 ")
        a = add_facility(session, edrpou="11111111", name="Clinic 1")
    assert b.name == "Лікарня №2"
    assert b.active
    assert b.created_at.tzinfo is not None
    with unit_of_work(sessions) as session:
        assert [f.edrpou for f in list_facilities(session)] == ["11111111", "22222222"]
        assert get_facility(session, facility_id=a.id) == a
        assert get_facility_by_edrpou(session, edrpou="22222222") == b


def test_duplicate_edrpou_is_a_conflict(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        add_facility(session, edrpou="11111111", name="first")
    with pytest.raises(ConflictError), unit_of_work(sessions) as session:
        add_facility(session, edrpou="11111111", name="second")


@pytest.mark.parametrize("edrpou", ["1234567", "123456789", "1234567a", ""])
def test_malformed_edrpou_is_refused(sessions: sessionmaker[Session], edrpou: str) -> None:
    with pytest.raises(InputError), unit_of_work(sessions) as session:
        add_facility(session, edrpou=edrpou, name="x")


def test_unknown_facility(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        with pytest.raises(NotFoundError):
            get_facility(session, facility_id=404)
        with pytest.raises(NotFoundError):
            get_facility_by_edrpou(session, edrpou="40404040")


def test_deactivated_facility(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        facility = add_facility(session, edrpou="11111111", name="closing")
        add_employee(
            session,
            facility_id=facility.id,
            rnokpp=DOCTOR,
            full_name="Dr",
            role=EmployeeRole.DOCTOR,
        )
    with unit_of_work(sessions) as session:
        closed = deactivate_facility(session, facility_id=facility.id)
        again = deactivate_facility(session, facility_id=facility.id)
    assert closed.status is FacilityStatus.INACTIVE
    assert closed.deactivated_at is not None
    assert again.deactivated_at == closed.deactivated_at
    with unit_of_work(sessions) as session:
        assert list_facilities(session) == []
        assert [f.edrpou for f in list_facilities(session, include_inactive=True)] == ["11111111"]
        # Its employees can no longer sign for it, though their records stay.
        assert find_active_employee(session, facility_id=facility.id, rnokpp=DOCTOR) is None
        assert len(list_employees(session, facility_id=facility.id)) == 1
        with pytest.raises(ConflictError):
            add_employee(
                session,
                facility_id=facility.id,
                rnokpp="0987654321",
                full_name="New",
                role=EmployeeRole.SPECIALIST,
            )


def test_employees(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        clinic = add_facility(session, edrpou="11111111", name="Clinic")
        other = add_facility(session, edrpou="22222222", name="Other")
        doctor = add_employee(
            session,
            facility_id=clinic.id,
            rnokpp=DOCTOR,
            full_name="Іваненко Марія",
            role=EmployeeRole.DOCTOR,
        )
        # The same person may work at two facilities.
        add_employee(
            session,
            facility_id=other.id,
            rnokpp=DOCTOR,
            full_name="Іваненко Марія",
            role=EmployeeRole.SPECIALIST,
        )
    assert doctor.active
    assert doctor.role is EmployeeRole.DOCTOR
    with unit_of_work(sessions) as session:
        found = find_active_employee(session, facility_id=clinic.id, rnokpp=DOCTOR)
        assert found == doctor
        assert find_active_employee(session, facility_id=clinic.id, rnokpp="0000000000") is None
        with pytest.raises(ConflictError):
            add_employee(
                session,
                facility_id=clinic.id,
                rnokpp=DOCTOR,
                full_name="Dup",
                role=EmployeeRole.DOCTOR,
            )


def test_deactivated_employee(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        clinic = add_facility(session, edrpou="11111111", name="Clinic")
        add_employee(
            session, facility_id=clinic.id, rnokpp=DOCTOR, full_name="Dr", role=EmployeeRole.DOCTOR
        )
    with unit_of_work(sessions) as session:
        left = deactivate_employee(session, facility_id=clinic.id, rnokpp=DOCTOR)
    assert not left.active
    assert left.deactivated_at is not None
    with unit_of_work(sessions) as session:
        assert find_active_employee(session, facility_id=clinic.id, rnokpp=DOCTOR) is None
        assert list_employees(session, facility_id=clinic.id) == []
        assert [
            e.rnokpp for e in list_employees(session, facility_id=clinic.id, include_inactive=True)
        ] == [DOCTOR]
    with unit_of_work(sessions) as session:
        back = reactivate_employee(session, facility_id=clinic.id, rnokpp=DOCTOR)
    assert back.active
    assert back.deactivated_at is None
    with unit_of_work(sessions) as session, pytest.raises(NotFoundError):
        deactivate_employee(session, facility_id=clinic.id, rnokpp="0000000000")


@pytest.mark.parametrize("rnokpp", ["12345678", "12345678901", "abcdefghij", "AB1234567"])
def test_malformed_rnokpp_is_refused(sessions: sessionmaker[Session], rnokpp: str) -> None:
    with unit_of_work(sessions) as session:
        clinic = add_facility(session, edrpou="11111111", name="Clinic")
        with pytest.raises(InputError):
            add_employee(
                session,
                facility_id=clinic.id,
                rnokpp=rnokpp,
                full_name="X",
                role=EmployeeRole.DOCTOR,
            )
