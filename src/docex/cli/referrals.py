"""``docex referrals``: referral housekeeping."""

from __future__ import annotations

import click

from docex.cli.help import HelpGroup

app = HelpGroup(name="referrals", help="Referral housekeeping.", no_args_is_help=True)


@app.command("expire")
def expire() -> None:
    """Recall every active referral whose validity period is over (also run by the API)."""
    from docex.cli.context import admin_context
    from docex.services.referrals import expire_referrals

    with admin_context() as admin:
        recalled = expire_referrals(sessions=admin.sessions, events=admin.events)
    # The referral's id and its issuer, not its requisition number: the number is what a
    # patient carries, and this output may end up in a job's log.
    for referral in recalled:
        click.echo(
            f"recalled {referral.id} issued by {referral.issuer_edrpou}, "
            f"valid until {referral.valid_until.isoformat()}"
        )
    click.echo(f"recalled {len(recalled)} expired referral(s)")
