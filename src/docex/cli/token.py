"""``docex token``: issue, list and revoke API tokens.

``issue`` prints the token, and only the token, on stdout, so that a script can capture
it (``TOKEN=$(docex token issue --facility 38291045)``); what people need to know about
it goes to stderr. The token is never shown again: only a keyed hash of it is stored.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from docex.cli.context import admin_context
from docex.cli.tables import OutputFormat, print_rows

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
    from docex.audit.log import SYSTEM
    from docex.domain import TokenRole
    from docex.errors import InputError
    from docex.services.tokens import issue_token

    with admin_context() as admin:
        if (facility is None) == (not auditor):
            raise InputError("give exactly one of --facility EDRPOU and --auditor")
        issued = issue_token(
            sessions=admin.sessions,
            policy=admin.token_policy,
            actor=SYSTEM,
            role=TokenRole.AUDITOR if auditor else TokenRole.FACILITY,
            facility_edrpou=facility,
            label=label,
        )
    holder = "an auditor" if facility is None else f"facility {facility.strip()}"
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
    from docex.services.tokens import list_tokens

    with admin_context() as admin:
        tokens = list_tokens(
            sessions=admin.sessions, facility_edrpou=facility, include_revoked=include_revoked
        )
    rows: list[dict[str, Any]] = [
        {
            "id": t.token.id,
            "role": t.token.role.value,
            "facility": t.facility_edrpou,
            "label": t.token.label,
            "created_at": t.token.created_at,
            "last_used_at": t.token.last_used_at,
            "revoked_at": t.token.revoked_at,
        }
        for t in tokens
    ]
    print_rows(rows, columns=COLUMNS, output=output)


@app.command("revoke")
def revoke(
    token_id: Annotated[int, typer.Argument(help="The id shown by `docex token list`.")],
) -> None:
    """Revoke a token for good; it stops authenticating at once."""
    from docex.audit.log import SYSTEM
    from docex.services.tokens import revoke_token

    with admin_context() as admin:
        token = revoke_token(sessions=admin.sessions, actor=SYSTEM, token_id=token_id)
    typer.echo(f"token {token.id} is revoked since {token.revoked_at:%Y-%m-%d %H:%M:%S %Z}")
