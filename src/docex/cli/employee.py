"""``docex employee``: the people whose qualified signatures a facility's documents carry."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from docex.cli.context import admin_context
from docex.cli.tables import OutputFormat, print_rows

if TYPE_CHECKING:
    from docex.registry.records import EmployeeRecord, FacilityRecord

app = typer.Typer(
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
def add(
    facility: Annotated[str, typer.Option("--facility", help="EDRPOU code of the facility.")],
    rnokpp: Annotated[str, typer.Option("--rnokpp", help="RNOKPP (tax number): 10 digits.")],
    name: Annotated[str, typer.Option("--name", help="Full name, as in the certificate.")],
    role: Annotated[Role, typer.Option("--role", help="What the employee does.")] = Role.DOCTOR,
) -> None:
    """Register an employee of an active facility: their signatures become acceptable."""
    from docex.domain import EmployeeRole
    from docex.registry.employees import add_employee
    from docex.registry.facilities import get_facility_by_edrpou

    with admin_context() as admin, admin.unit_of_work() as session:
        place = get_facility_by_edrpou(session, edrpou=facility)
        employee = add_employee(
            session,
            facility_id=place.id,
            rnokpp=rnokpp,
            full_name=name,
            role=EmployeeRole(role.value),
        )
    typer.echo(
        f"added {employee.role.value} {employee.rnokpp} {employee.full_name} "
        f"to facility {place.edrpou}"
    )


@app.command("list")
def list_(
    facility: Annotated[
        str | None, typer.Option("--facility", help="EDRPOU code; default: every facility.")
    ] = None,
    include_inactive: Annotated[
        bool, typer.Option("--all", help="Include deactivated employees.")
    ] = False,
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = (
        OutputFormat.TEXT
    ),
) -> None:
    """List employees by facility and RNOKPP; active ones only unless --all."""
    from docex.registry.employees import list_employees
    from docex.registry.facilities import get_facility_by_edrpou, list_facilities

    listing: list[tuple[FacilityRecord, EmployeeRecord]] = []
    with admin_context() as admin, admin.unit_of_work() as session:
        if facility is not None:
            places = [get_facility_by_edrpou(session, edrpou=facility)]
        else:
            places = list_facilities(session, include_inactive=True)
        for place in places:
            employees = list_employees(
                session, facility_id=place.id, include_inactive=include_inactive
            )
            listing.extend((place, employee) for employee in employees)
    rows: list[dict[str, Any]] = [
        {
            "facility": place.edrpou,
            "rnokpp": e.rnokpp,
            "role": e.role.value,
            "active": e.active,
            "full_name": e.full_name,
            "created_at": e.created_at,
            "deactivated_at": e.deactivated_at,
        }
        for place, e in listing
    ]
    print_rows(rows, columns=COLUMNS, output=output)


@app.command("deactivate")
def deactivate(
    facility: Annotated[str, typer.Option("--facility", help="EDRPOU code of the facility.")],
    rnokpp: Annotated[str, typer.Option("--rnokpp", help="RNOKPP of the employee.")],
) -> None:
    """Mark an employee as no longer working at the facility; their new signatures are
    refused from now on. Deactivating twice changes nothing."""
    from docex.registry.employees import deactivate_employee
    from docex.registry.facilities import get_facility_by_edrpou

    with admin_context() as admin, admin.unit_of_work() as session:
        place = get_facility_by_edrpou(session, edrpou=facility)
        employee = deactivate_employee(session, facility_id=place.id, rnokpp=rnokpp)
    typer.echo(
        f"employee {employee.rnokpp} {employee.full_name} of facility {place.edrpou} "
        f"is inactive since {employee.deactivated_at:%Y-%m-%d %H:%M:%S %Z}"
    )
