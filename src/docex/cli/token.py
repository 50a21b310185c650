"""``docex token``: issue, rotate, list and revoke API tokens.

``issue`` prints the token, and only the token, on stdout, so that a script can capture
it (``TOKEN=$(docex token issue --facility 38291045)``); what people need to know about
it goes to stderr. The token is never shown again: only a keyed hash of it is stored.

Tokens expire (``DOCEX_TOKEN_LIFETIME_DAYS``, 90 by default, or ``--expires-in DAYS``);
``rotate`` hands a token's grants to a successor and lets the old one work only a short
overlap longer (``DOCEX_TOKEN_ROTATION_OVERLAP_HOURS``). Every change is audited with the
operator named as ``cli:<os user>``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from docex.cli.context import admin_context
from docex.cli.tables import OutputFormat, print_rows

app = typer.Typer(
    name="token", help="Issue, rotate, list and revoke API tokens.", no_args_is_help=True
)

COLUMNS = (
    "id",
    "role",
    "facility",
    "status",
    "label",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
)


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
    expires_in: Annotated[
        int | None,
        typer.Option(
            "--expires-in",
            metavar="DAYS",
            # Bounded here so that a typing slip is a usage error, not a timedelta overflow.
            min=1,
            max=3650,
            help="Days until the token expires; default DOCEX_TOKEN_LIFETIME_DAYS (90).",
        ),
    ] = None,
) -> None:
    """Issue a token for a facility (--facility EDRPOU) or an auditor (--auditor).

    The token is printed once, alone on stdout; it cannot be recovered later.
    """
    from datetime import timedelta

    from docex.domain import TokenRole
    from docex.errors import InputError
    from docex.services.admin_audit import Operator
    from docex.services.tokens import issue_token

    with admin_context() as admin:
        if (facility is None) == (not auditor):
            raise InputError("give exactly one of --facility EDRPOU and --auditor")
        issued = issue_token(
            sessions=admin.sessions,
            policy=admin.token_policy,
            actor=Operator.at_command_line(),
            role=TokenRole.AUDITOR if auditor else TokenRole.FACILITY,
            facility_edrpou=facility,
            label=label,
            lifetime=None if expires_in is None else timedelta(days=expires_in),
        )
    holder = "an auditor" if facility is None else f"facility {facility.strip()}"
    typer.echo(issued.token)
    typer.echo(
        f"docex: issued token {issued.record.id} for {holder}, valid until "
        f"{issued.record.expires_at:%Y-%m-%d %H:%M:%S %Z}. It is shown only this once: "
        f"store it now. Revoke it with `docex token revoke {issued.record.id}`.",
        err=True,
    )


@app.command("rotate")
def rotate(
    token_id: Annotated[int, typer.Argument(help="The id shown by `docex token list`.")],
) -> None:
    """Issue a successor with the same grants; the old token expires after a short overlap.

    The new token is printed once, alone on stdout, like `docex token issue` prints one.
    """
    from docex.services.admin_audit import Operator
    from docex.services.tokens import rotate_token

    with admin_context() as admin:
        rotated = rotate_token(
            sessions=admin.sessions,
            policy=admin.token_policy,
            actor=Operator.at_command_line(),
            token_id=token_id,
        )
    successor = rotated.successor.record
    typer.echo(rotated.successor.token)
    typer.echo(
        f"docex: token {rotated.previous.id} is replaced by token {successor.id}, valid until "
        f"{successor.expires_at:%Y-%m-%d %H:%M:%S %Z}; the old one stops working at "
        f"{rotated.previous.expires_at:%Y-%m-%d %H:%M:%S %Z}. The new token is shown only "
        "this once: store it now.",
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
    """List tokens, oldest first, with their expiry and last use; never their secrets."""
    from docex.clock import utcnow
    from docex.services.tokens import list_tokens

    now = utcnow()
    with admin_context() as admin:
        tokens = list_tokens(
            sessions=admin.sessions, facility_edrpou=facility, include_revoked=include_revoked
        )
    rows: list[dict[str, Any]] = [
        {
            "id": t.token.id,
            "role": t.token.role.value,
            "facility": t.facility_edrpou,
            "status": t.token.status_at(now),
            "label": t.token.label,
            "created_at": t.token.created_at,
            "expires_at": t.token.expires_at,
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
    from docex.services.admin_audit import Operator
    from docex.services.tokens import revoke_token

    with admin_context() as admin:
        token = revoke_token(
            sessions=admin.sessions, actor=Operator.at_command_line(), token_id=token_id
        )
    typer.echo(f"token {token.id} is revoked since {token.revoked_at:%Y-%m-%d %H:%M:%S %Z}")
