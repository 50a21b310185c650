"""``docex token``: issue, list and revoke API tokens.

``issue`` prints the token, and only the token, on stdout, so that a script can capture
it (``TOKEN=$(docex token issue --facility 38291045)``); what people need to know about
it goes to stderr. The token is never shown again: only a keyed hash of it is stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from docex.cli.context import admin_context
from docex.cli.tables import OutputFormat, print_rows

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(name="token", help="Issue, list and revoke API tokens.", no_args_is_help=True)

COLUMNS = ("id", "role", "facility", "label", "created_at", "last_used_at", "revoked_at")


@app.command("issue")
def issue(
    facility: Annotated[
        str | None,
        typer.Option("--facility", help="EDRPOU code of the facility the token speaks for."),
    ] = None,
    auditor: Annotated[
        bool, typer.Option("--auditor", help="An auditor token (reads everything).")
    ] = False,
    label: Annotated[
        str | None, typer.Option("--label", help="A note saying who holds the token.")
    ] = None,
) -> None:
    """Issue a token for a facility (--facility EDRPOU) or an auditor (--auditor).

    The token is printed once, alone on stdout; it cannot be recovered later.
    """
    from docex.domain import TokenRole
    from docex.errors import InputError
    from docex.registry.facilities import get_facility_by_edrpou
    from docex.registry.tokens import issue_token

    with admin_context() as admin:
        if (facility is None) == (not auditor):
            raise InputError("give exactly one of --facility EDRPOU and --auditor")
        with admin.unit_of_work() as session:
            if facility is not None:
                place = get_facility_by_edrpou(session, edrpou=facility)
                issued = issue_token(
                    session,
                    policy=admin.token_policy,
                    role=TokenRole.FACILITY,
                    facility_id=place.id,
                    label=label,
                )
                holder = f"facility {place.edrpou}"
            else:
                issued = issue_token(
                    session, policy=admin.token_policy, role=TokenRole.AUDITOR, label=label
                )
                holder = "an auditor"
    typer.echo(issued.token)
    typer.echo(
        f"docex: issued token {issued.record.id} for {holder}. It is shown only this once: "
        f"store it now. Revoke it with `docex token revoke {issued.record.id}`.",
        err=True,
    )


@app.command("list")
def list_(
    facility: Annotated[
        str | None, typer.Option("--facility", help="Only this facility's tokens (EDRPOU).")
    ] = None,
    include_revoked: Annotated[bool, typer.Option("--all", help="Include revoked tokens.")] = False,
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = (
        OutputFormat.TEXT
    ),
) -> None:
    """List tokens, oldest first; never their secrets."""
    from docex.registry.facilities import get_facility_by_edrpou
    from docex.registry.tokens import list_tokens

    with admin_context() as admin, admin.unit_of_work() as session:
        facility_id = None
        if facility is not None:
            facility_id = get_facility_by_edrpou(session, edrpou=facility).id
        tokens = list_tokens(session, facility_id=facility_id, include_revoked=include_revoked)
        edrpou = _edrpou_by_id(session)
    rows: list[dict[str, Any]] = [
        {
            "id": t.id,
            "role": t.role.value,
            "facility": None if t.facility_id is None else edrpou[t.facility_id],
            "label": t.label,
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "revoked_at": t.revoked_at,
        }
        for t in tokens
    ]
    print_rows(rows, columns=COLUMNS, output=output)


@app.command("revoke")
def revoke(
    token_id: Annotated[int, typer.Argument(help="The id shown by `docex token list`.")],
) -> None:
    """Revoke a token for good; it stops authenticating at once."""
    from docex.registry.tokens import revoke_token

    with admin_context() as admin, admin.unit_of_work() as session:
        token = revoke_token(session, token_id=token_id)
    typer.echo(f"token {token.id} is revoked since {token.revoked_at:%Y-%m-%d %H:%M:%S %Z}")


def _edrpou_by_id(session: Session) -> dict[int, str]:
    from docex.registry.facilities import list_facilities

    return {f.id: f.edrpou for f in list_facilities(session, include_inactive=True)}
