"""``docex storage``: keep the object store and the database in agreement."""

from __future__ import annotations

import click

from docex.cli.exit_codes import ExitCode
from docex.cli.help import HelpGroup

app = HelpGroup(name="storage", help="Object store maintenance.", no_args_is_help=True)


@app.command("reconcile")
@click.option(
    "--grace-minutes",
    type=click.IntRange(min=0),
    default=60,
    help="Leave unreferenced objects younger than this: their submission may still be committing.",
)
@click.option("--dry-run", is_flag=True, help="Report what would be removed; remove nothing.")
def reconcile(grace_minutes: int, dry_run: bool) -> None:
    """Remove objects no document references (left by failed commits); report missing ones.

    An orphan written again while this runs (a retried upload about to be committed) is
    kept. On a versioned S3 bucket removal leaves a delete marker; the bytes stay, under
    any object-lock retention, until the bucket's lifecycle rules expire them.

    Exit status 0 when the store and the database agree afterwards, 1 when a document's
    object is missing from the store (data loss to investigate); errors as for every command.
    """
    from datetime import timedelta

    from docex.cli.context import AdminContext
    from docex.errors import DocexError
    from docex.services.reconcile import reconcile_storage
    from docex.settings import load_settings

    admin: AdminContext | None = None
    try:
        admin = AdminContext(load_settings())
        report = reconcile_storage(
            sessions=admin.sessions,
            store=admin.store,
            grace=timedelta(minutes=grace_minutes),
            dry_run=dry_run,
        )
    except DocexError as exc:
        click.echo(f"docex storage reconcile: {exc}", err=True)
        raise click.exceptions.Exit(int(ExitCode.USAGE)) from exc
    finally:
        if admin is not None:
            admin.close()
    verb = "would remove" if dry_run else "removed"
    click.echo(
        f"{report.objects_seen} objects; {len(report.orphans)} unreferenced; "
        f"{verb} {len(report.removed)}; {len(report.too_recent)} too recent to remove; "
        f"{len(report.kept)} written again or referenced meanwhile, kept; "
        f"{len(report.missing)} missing"
    )
    for key in report.cleared_markers:
        click.echo(f"  cleared a dead reconcile's marker on: {key}")
    for key in report.removed:
        click.echo(f"  {verb}: {key}")
    for key in report.missing:
        click.echo(f"  MISSING: {key}", err=True)
    raise click.exceptions.Exit(int(ExitCode.FAILED) if report.missing else int(ExitCode.OK))
