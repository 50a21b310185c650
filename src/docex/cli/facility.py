"""``docex facility``: register, list and deactivate healthcare facilities."""

from __future__ import annotations

from typing import Annotated

import typer

from docex.cli.context import admin_context
from docex.cli.tables import OutputFormat, print_rows

app = typer.Typer(
    name="facility", help="Register, list and deactivate facilities.", no_args_is_help=True
)

COLUMNS = ("edrpou", "status", "name", "created_at", "deactivated_at")


@app.command("add")
def add(
    edrpou: Annotated[str, typer.Option("--edrpou", help="EDRPOU code: 8 digits.")],
    name: Annotated[str, typer.Option("--name", help="The facility's registered name.")],
) -> None:
    """Register an active facility."""
    from docex.services.admin_audit import Operator
    from docex.services.facilities import add_facility

    with admin_context() as admin:
        facility = add_facility(
            sessions=admin.sessions, actor=Operator.at_command_line(), edrpou=edrpou, name=name
        )
    typer.echo(f"added facility {facility.edrpou} {facility.name}")


@app.command("list")
def list_(
    include_inactive: Annotated[
        bool, typer.Option("--all", help="Include deactivated facilities.")
    ] = False,
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = (
        OutputFormat.TEXT
    ),
) -> None:
    """List facilities by EDRPOU; active ones only unless --all."""
    from docex.services.facilities import list_facilities

    with admin_context() as admin:
        facilities = list_facilities(sessions=admin.sessions, include_inactive=include_inactive)
    rows = [
        {
            "edrpou": f.edrpou,
            "status": f.status.value,
            "name": f.name,
            "created_at": f.created_at,
            "deactivated_at": f.deactivated_at,
        }
        for f in facilities
    ]
    print_rows(rows, columns=COLUMNS, output=output)


@app.command("deactivate")
def deactivate(
    edrpou: Annotated[str, typer.Argument(help="EDRPOU code of the facility.")],
) -> None:
    """Stop a facility from using the exchange; its tokens stop working at once.

    Its documents, employees and tokens are kept. Deactivating twice changes nothing.
    """
    from docex.services.admin_audit import Operator
    from docex.services.facilities import deactivate_facility

    with admin_context() as admin:
        facility = deactivate_facility(
            sessions=admin.sessions, actor=Operator.at_command_line(), edrpou=edrpou
        )
    typer.echo(
        f"facility {facility.edrpou} {facility.name} "
        f"is inactive since {facility.deactivated_at:%Y-%m-%d %H:%M:%S %Z}"
    )
