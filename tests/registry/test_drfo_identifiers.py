"""Employees registered by passport: the DRFO identifiers besides the RNOKPP.

A person who refused a tax number is named in the DRFO, and in their qualified
certificate, by their passport. The registry stores such an identifier in the employee's
RNOKPP field, in the canonical form the certificate reader gives, so the signer binding
compares the two directly.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from docex.db import unit_of_work
from docex.domain import EmployeeRole
from docex.registry import add_employee, add_facility, find_active_employee
from docex.signatures.identity import signer_identity
from docex.signatures.identity_ua import DRFO_ATTRIBUTE
from tests.signatures.ua_pki import directory_attributes, make_leaf, make_root, printable

PASSPORT = "ВК123456"  # noqa: RUF001 -- a Cyrillic passport series


@pytest.mark.parametrize(
    ("entered", "stored"),
    [
        ("ВК 123456", PASSPORT),  # noqa: RUF001
        ("вк123456", PASSPORT),
        ("BK123456", PASSPORT),
        ("123456789", "123456789"),
        ("1234567890", "1234567890"),
    ],
)
def test_passport_and_id_card_numbers_are_stored_canonically(
    sessions: sessionmaker[Session], entered: str, stored: str
) -> None:
    with unit_of_work(sessions) as session:
        clinic = add_facility(session, edrpou="11111111", name="Clinic")
        employee = add_employee(
            session,
            facility_id=clinic.id,
            rnokpp=entered,
            full_name="Доктор",
            role=EmployeeRole.DOCTOR,
        )
    assert employee.rnokpp == stored


def test_passport_certificate_binds_to_the_passport_employee(
    sessions: sessionmaker[Session],
) -> None:
    # The certificate carries the series in Latin look-alikes; the registry has it in
    # Cyrillic. Both are the same passport, so the signer is the employee.
    root = make_root()
    leaf = make_leaf(root, sda=directory_attributes((DRFO_ATTRIBUTE, [printable("BK123456")])))
    signer = signer_identity(leaf.cert)
    assert signer.rnokpp == PASSPORT
    with unit_of_work(sessions) as session:
        clinic = add_facility(session, edrpou="11111111", name="Clinic")
        add_employee(
            session,
            facility_id=clinic.id,
            rnokpp="ВК 123456",  # noqa: RUF001
            full_name="Доктор",
            role=EmployeeRole.DOCTOR,
        )
    with unit_of_work(sessions) as session:
        found = find_active_employee(session, facility_id=clinic.id, rnokpp=signer.rnokpp)
        other = find_active_employee(session, facility_id=clinic.id, rnokpp="ВК123457")  # noqa: RUF001
    assert found is not None
    assert found.rnokpp == PASSPORT
    assert other is None
