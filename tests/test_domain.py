"""The vocabulary modules stay free of the ORM: naming a role costs no SQLAlchemy import."""

from __future__ import annotations

import subprocess
import sys

import pytest

from docex.db.registry import Employee
from docex.domain import EmployeeRole


@pytest.mark.parametrize("module", ["docex.domain", "docex.clock"])
def test_importing_needs_no_database_code(module: str) -> None:
    # A fresh interpreter: this one has long imported SQLAlchemy for other tests.
    probe = (
        f"import sys, {module}; "
        "print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'docex.db'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_the_orm_stores_the_domain_enums() -> None:
    # The CHECK constraint lists exactly the domain's values, so the two cannot drift.
    role = Employee.__table__.c.role.type
    assert role.enum_class is EmployeeRole  # type: ignore[attr-defined]
    assert role.enums == [member.value for member in EmployeeRole]  # type: ignore[attr-defined]
