"""``docex referrals``: referral housekeeping."""

from __future__ import annotations

import typer

app = typer.Typer(name="referrals", help="Referral housekeeping.", no_args_is_help=True)


@app.command("expire")
def expire() -> None:
    """Recall every active referral whose validity period is over (also run by the API)."""
    from docex.cli.context import reporting_errors
    from docex.services.referrals import expire_referrals
    from docex.services.runtime import build_runtime
    from docex.settings import load_settings

    with reporting_errors():
        runtime = build_runtime(load_settings())
        try:
            count = expire_referrals(runtime)
        finally:
            runtime.close()
    typer.echo(f"recalled {count} expired referral(s)")
