"""``docex facility``: register, list and deactivate healthcare facilities."""

from __future__ import annotations

import click

from docex.cli.context import admin_context
from docex.cli.help import HelpGroup
from docex.cli.tables import OutputFormat, output_option, print_rows

app = HelpGroup(
    name="facility", help="Register, list and deactivate facilities.", no_args_is_help=True
)

COLUMNS = ("edrpou", "status", "name", "created_at", "deactivated_at")


@app.command("add")
@click.option("--edrpou", required=True, help="EDRPOU code: 8 digits.")
@click.option("--name", required=True, help="The facility's registered name.")
def add(edrpou: str, name: str) -> None:
    """Register an active facility."""
    from docex.services.admin_audit import Operator
    from docex.services.facilities import add_facility

    with admin_context() as admin:
        facility = add_facility(
            sessions=admin.sessions, actor=Operator.at_command_line(), edrpou=edrpou, name=name
        )
    click.echo(f"added facility {facility.edrpou} {facility.name}")


@app.command("list")
@click.option("--all", "include_inactive", is_flag=True, help="Include deactivated facilities.")
@output_option
def list_(include_inactive: bool, output: OutputFormat) -> None:
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
@click.argument("edrpou", help="EDRPOU code of the facility.")
def deactivate(edrpou: str) -> None:
    """Stop a facility from using the exchange; its tokens stop working at once.

    Its documents, employees and tokens are kept. Deactivating twice changes nothing.
    """
    from docex.services.admin_audit import Operator
    from docex.services.facilities import deactivate_facility

    with admin_context() as admin:
        facility = deactivate_facility(
            sessions=admin.sessions, actor=Operator.at_command_line(), edrpou=edrpou
        )
    click.echo(
        f"facility {facility.edrpou} {facility.name} "
        f"is inactive since {facility.deactivated_at:%Y-%m-%d %H:%M:%S %Z}"
    )
