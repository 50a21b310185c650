"""``docex token``: issue, rotate, list and revoke API tokens.

``issue`` prints the token, and only the token, on stdout, so that a script can capture
it (``TOKEN=$(docex token issue --facility 38291045)``); what people need to know about
it goes to stderr. The token is never shown again: only a keyed hash of it is stored.

Tokens expire (``DOCEX_TOKEN_LIFETIME_DAYS``, 90 by default, or ``--expires-in DAYS``);
``rotate`` hands a token's grants to a successor and lets the old one work only a short
overlap longer (``DOCEX_TOKEN_ROTATION_OVERLAP_HOURS``). A token is rotated once: ``list``
shows its successor, and rotating it again is refused (rotate the successor instead). Every
change is audited with the operator named as ``cli:<os user>``.
"""

from __future__ import annotations

from typing import Any

import click

from docex.cli.context import admin_context
from docex.cli.help import HelpGroup
from docex.cli.tables import OutputFormat, output_option, print_rows

app = HelpGroup(
    name="token", help="Issue, rotate, list and revoke API tokens.", no_args_is_help=True
)

COLUMNS = (
    "id",
    "role",
    "facility",
    "status",
    "successor",
    "label",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
)


@app.command("issue")
@click.option("--facility", help="EDRPOU code of the facility the token speaks for.")
@click.option("--auditor", is_flag=True, help="An auditor token (reads everything).")
@click.option("--label", help="A note saying who holds the token.")
@click.option(
    "--expires-in",
    metavar="DAYS",
    # Bounded here so that a typing slip is a usage error, not a timedelta overflow.
    type=click.IntRange(min=1, max=3650),
    help="Days until the token expires; default DOCEX_TOKEN_LIFETIME_DAYS (90).",
)
def issue(facility: str | None, auditor: bool, label: str | None, expires_in: int | None) -> None:
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
    click.echo(issued.token)
    click.echo(
        f"docex: issued token {issued.record.id} for {holder}, valid until "
        f"{issued.record.expires_at:%Y-%m-%d %H:%M:%S %Z}. It is shown only this once: "
        f"store it now. Revoke it with `docex token revoke {issued.record.id}`.",
        err=True,
    )


@app.command("rotate")
@click.argument("token_id", type=int, help="The id shown by `docex token list`.")
def rotate(token_id: int) -> None:
    """Issue a successor with the same grants; the old token expires after a short overlap.

    The new token is printed once, alone on stdout, like `docex token issue` prints one.
    A token has one successor: rotating it again is refused, naming the successor
    (`docex token list` shows it), which is the token to rotate next.
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
    click.echo(rotated.successor.token)
    click.echo(
        f"docex: token {rotated.previous.id} is replaced by token {successor.id}, valid until "
        f"{successor.expires_at:%Y-%m-%d %H:%M:%S %Z}; the old one stops working at "
        f"{rotated.previous.expires_at:%Y-%m-%d %H:%M:%S %Z}. The new token is shown only "
        "this once: store it now.",
        err=True,
    )


@app.command("list")
@click.option("--facility", help="Only this facility's tokens (EDRPOU).")
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked tokens.")
@output_option
def list_(facility: str | None, include_revoked: bool, output: OutputFormat) -> None:
    """List tokens, oldest first, with expiry, successor and last use; never their secrets."""
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
            "successor": t.token.successor_id,
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
@click.argument("token_id", type=int, help="The id shown by `docex token list`.")
def revoke(token_id: int) -> None:
    """Revoke a token for good; it stops authenticating at once."""
    from docex.services.admin_audit import Operator
    from docex.services.tokens import revoke_token

    with admin_context() as admin:
        token = revoke_token(
            sessions=admin.sessions, actor=Operator.at_command_line(), token_id=token_id
        )
    click.echo(f"token {token.id} is revoked since {token.revoked_at:%Y-%m-%d %H:%M:%S %Z}")
