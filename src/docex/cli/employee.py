"""``docex employee``: the people whose qualified signatures a facility's documents carry."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import click

from docex.cli.context import admin_context
from docex.cli.help import HelpGroup
from docex.cli.params import ValueChoice
from docex.cli.tables import OutputFormat, output_option, print_rows

app = HelpGroup(
    name="employee",
    help="Register, list and deactivate the employees of facilities.",
    no_args_is_help=True,
)

COLUMNS = ("facility", "rnokpp", "role", "active", "full_name", "created_at", "deactivated_at")


class Role(StrEnum):
    """The choices of ``--role``: the values of :class:`docex.domain.EmployeeRole`.

    Spelled out rather than imported so that ``docex --help`` does not load SQLAlchemy;
    tests/cli/test_employee.py checks that the two agree.
    """

    DOCTOR = "doctor"
    SPECIALIST = "specialist"
    ADMINISTRATOR = "administrator"


@app.command("add")
@click.option("--facility", required=True, help="EDRPOU code of the facility.")
@click.option("--rnokpp", required=True, help="RNOKPP (tax number): 10 digits.")
@click.option("--name", required=True, help="Full name, as in the certificate.")
@click.option(
    "--role", type=ValueChoice(Role), default=Role.DOCTOR.value, help="What the employee does."
)
def add(facility: str, rnokpp: str, name: str, role: Role) -> None:
    """Register an employee of an active facility: their signatures become acceptable."""
    from docex.domain import EmployeeRole
    from docex.services.admin_audit import Operator
    from docex.services.employees import add_employee

    with admin_context() as admin:
        added = add_employee(
            sessions=admin.sessions,
            actor=Operator.at_command_line(),
            facility_edrpou=facility,
            rnokpp=rnokpp,
            full_name=name,
            role=EmployeeRole(role.value),
        )
    employee = added.employee
    click.echo(
        f"added {employee.role.value} {employee.rnokpp} {employee.full_name} "
        f"to facility {added.facility_edrpou}"
    )


@app.command("list")
@click.option("--facility", help="EDRPOU code; default: every facility.")
@click.option("--all", "include_inactive", is_flag=True, help="Include deactivated employees.")
@output_option
def list_(facility: str | None, include_inactive: bool, output: OutputFormat) -> None:
    """List employees by facility and RNOKPP; active ones only unless --all."""
    from docex.services.employees import list_employees

    with admin_context() as admin:
        listing = list_employees(
            sessions=admin.sessions, facility_edrpou=facility, include_inactive=include_inactive
        )
    rows: list[dict[str, Any]] = [
        {
            "facility": item.facility_edrpou,
            "rnokpp": item.employee.rnokpp,
            "role": item.employee.role.value,
            "active": item.employee.active,
            "full_name": item.employee.full_name,
            "created_at": item.employee.created_at,
            "deactivated_at": item.employee.deactivated_at,
        }
        for item in listing
    ]
    print_rows(rows, columns=COLUMNS, output=output)


@app.command("deactivate")
@click.option("--facility", required=True, help="EDRPOU code of the facility.")
@click.option("--rnokpp", required=True, help="RNOKPP of the employee.")
def deactivate(facility: str, rnokpp: str) -> None:
    """Mark an employee as no longer working at the facility; their new signatures are
    refused from now on. Deactivating twice changes nothing."""
    from docex.services.admin_audit import Operator
    from docex.services.employees import deactivate_employee

    with admin_context() as admin:
        done = deactivate_employee(
            sessions=admin.sessions,
            actor=Operator.at_command_line(),
            facility_edrpou=facility,
            rnokpp=rnokpp,
        )
    employee = done.employee
    click.echo(
        f"employee {employee.rnokpp} {employee.full_name} of facility {done.facility_edrpou} "
        f"is inactive since {employee.deactivated_at:%Y-%m-%d %H:%M:%S %Z}"
    )
