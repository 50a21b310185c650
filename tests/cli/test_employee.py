"""``docex employee add|list|deactivate``."""

from __future__ import annotations

import json

import pytest

from docex.cli.employee import Role
from docex.cli.exit_codes import ExitCode
from docex.domain import EmployeeRole
from docex.registry.employees import find_active_employee
from docex.registry.facilities import get_facility_by_edrpou
from tests.cli.conftest import CliEnv, Docex, one_line_error

FACILITY = "38291045"


@pytest.fixture
def facility(docex: Docex) -> str:
    assert docex("facility", "add", "--edrpou", FACILITY, "--name", "КНП №1").exit_code == 0
    return FACILITY


def test_role_choices_are_the_models_roles() -> None:
    assert [r.value for r in Role] == [r.value for r in EmployeeRole]


def test_added_employee_may_sign_for_the_facility(
    docex: Docex, facility: str, cli_env: CliEnv
) -> None:
    result = docex(
        "employee", "add", "--facility", facility, "--rnokpp", "3012345670",
        "--name", "Шевченко Олена Петрівна", "--role", "specialist",
    )  # fmt: skip
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout == (
        f"added specialist 3012345670 Шевченко Олена Петрівна to facility {facility}\n"
    )
    with cli_env.session() as session:
        place = get_facility_by_edrpou(session, edrpou=facility)
        employee = find_active_employee(session, facility_id=place.id, rnokpp="3012345670")
    assert employee is not None
    assert employee.role is EmployeeRole.SPECIALIST


def test_list_filters_by_facility_and_shows_inactive_with_all(docex: Docex) -> None:
    docex("facility", "add", "--edrpou", "11111111", "--name", "A")
    docex("facility", "add", "--edrpou", "22222222", "--name", "B")
    docex("employee", "add", "--facility", "11111111", "--rnokpp", "1111111111", "--name", "X")
    docex("employee", "add", "--facility", "22222222", "--rnokpp", "2222222222", "--name", "Y")
    docex("employee", "add", "--facility", "22222222", "--rnokpp", "3333333333", "--name", "Z")

    every = json.loads(docex("employee", "list", "--format", "json").stdout)
    assert [(e["facility"], e["rnokpp"], e["role"]) for e in every] == [
        ("11111111", "1111111111", "doctor"),
        ("22222222", "2222222222", "doctor"),
        ("22222222", "3333333333", "doctor"),
    ]
    result = docex("employee", "deactivate", "--facility", "22222222", "--rnokpp", "2222222222")
    assert result.exit_code == ExitCode.OK
    assert result.stdout.startswith("employee 2222222222 Y of facility 22222222 is inactive since")

    only_b = json.loads(
        docex("employee", "list", "--facility", "22222222", "--format", "json").stdout
    )
    assert [e["rnokpp"] for e in only_b] == ["3333333333"]
    with_inactive = docex("employee", "list", "--facility", "22222222", "--all").stdout
    assert "2222222222" in with_inactive
    assert "False" in with_inactive


def test_unknown_facility_is_not_found(docex: Docex) -> None:
    result = docex(
        "employee", "add", "--facility", "99999999", "--rnokpp", "1234567890", "--name", "X"
    )
    assert result.exit_code == ExitCode.NOT_FOUND
    assert one_line_error(result) == "no facility with EDRPOU 99999999"


def test_malformed_rnokpp_is_a_usage_error(docex: Docex, facility: str) -> None:
    result = docex("employee", "add", "--facility", facility, "--rnokpp", "12345", "--name", "X")
    assert result.exit_code == ExitCode.USAGE
    assert one_line_error(result) == "RNOKPP must be 10 digits, got '12345'"


def test_unknown_role_is_a_usage_error(docex: Docex, facility: str) -> None:
    result = docex(
        "employee", "add", "--facility", facility, "--rnokpp", "1234567890", "--name", "X",
        "--role", "nurse",
    )  # fmt: skip
    assert result.exit_code == ExitCode.USAGE
    assert "nurse" in result.stderr


def test_duplicate_employee_is_a_conflict(docex: Docex, facility: str) -> None:
    args = ("employee", "add", "--facility", facility, "--rnokpp", "1234567890", "--name", "X")
    assert docex(*args).exit_code == ExitCode.OK
    result = docex(*args)
    assert result.exit_code == ExitCode.CONFLICT
    assert one_line_error(result) == f"facility {facility} already lists employee 1234567890"


def test_inactive_facility_takes_no_employees(docex: Docex, facility: str) -> None:
    docex("facility", "deactivate", facility)
    result = docex(
        "employee", "add", "--facility", facility, "--rnokpp", "1234567890", "--name", "X"
    )
    assert result.exit_code == ExitCode.CONFLICT
    assert one_line_error(result) == f"facility {facility} is inactive"


def test_deactivating_an_unknown_employee_names_the_facility_by_edrpou(
    docex: Docex, facility: str
) -> None:
    result = docex("employee", "deactivate", "--facility", facility, "--rnokpp", "1234567890")
    assert result.exit_code == ExitCode.NOT_FOUND
    assert one_line_error(result) == f"facility {facility} has no employee 1234567890"
