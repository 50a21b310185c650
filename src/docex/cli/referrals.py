"""``docex referrals``: referral housekeeping."""

from __future__ import annotations

import typer

app = typer.Typer(name="referrals", help="Referral housekeeping.", no_args_is_help=True)


@app.command("expire")
def expire() -> None:
    """Recall every active referral whose validity period is over (also run by the API)."""
    from docex.cli.context import admin_context
    from docex.services.referrals import expire_referrals

    with admin_context() as admin:
        count = expire_referrals(sessions=admin.sessions, events=admin.events)
    typer.echo(f"recalled {count} expired referral(s)")
