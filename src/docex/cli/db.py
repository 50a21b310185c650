"""``docex db``: the schema of the configured database, and the application role's grants.

In production the operator runs ``docex db upgrade --grant-to APP_ROLE`` once before
starting (or upgrading) the API workers, connected as the schema's owner
(``DOCEX_MIGRATION_DATABASE_URL``); the workers connect as the application role
(``DOCEX_DATABASE_URL``), which owns nothing. The embedded SQLite default is migrated
automatically.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from docex.cli.context import admin_context
from docex.cli.help import HelpGroup

if TYPE_CHECKING:
    from docex.settings import Settings

app = HelpGroup(name="db", help="Migrate the configured database.", no_args_is_help=True)


def _where(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _owner_url(settings: Settings) -> str:
    # Migrations and grants need the owner; the application's own URL is the fallback
    # for single-role deployments (SQLite, development).
    return settings.migration_database_url or settings.database_url


@app.command("upgrade")
@click.option(
    "--grant-to",
    metavar="ROLE",
    help="After migrating, grant the application role ROLE exactly what docex "
    "needs (as `docex db grant --role ROLE`).",
)
def upgrade(grant_to: str | None) -> None:
    """Bring the database up to the newest schema, as its owner.

    Connects with DOCEX_MIGRATION_DATABASE_URL, or DOCEX_DATABASE_URL if that is unset.
    Safe to run again, and from several machines at once (PostgreSQL takes a lock).
    """
    from docex.db.migrate import current_revision, grant_app_role, upgrade

    with admin_context() as admin:
        url = _owner_url(admin.settings)
        before = current_revision(url)
        upgrade(url)
        after = current_revision(url)
        if grant_to is not None:
            grant_app_role(url, grant_to)
    if before == after:
        click.echo(f"{_where(url)} is up to date at revision {after}")
    else:
        click.echo(f"{_where(url)} upgraded from revision {before or '(empty)'} to {after}")
    if grant_to is not None:
        click.echo(f"granted {grant_to} the application's privileges")


@app.command("grant")
@click.option("--role", required=True, metavar="ROLE", help="The application role the API uses.")
def grant(role: str) -> None:
    """Grant a PostgreSQL role exactly what the API workers need, revoking anything else.

    SELECT, INSERT and UPDATE on docex's tables; SELECT and INSERT only on the audit log;
    USAGE on its sequences; EXECUTE on the audit append function. Refuses a role that is a
    superuser or owns anything. Run as the owner (DOCEX_MIGRATION_DATABASE_URL) after
    every upgrade; safe to run again.
    """
    from docex.db.migrate import grant_app_role

    with admin_context() as admin:
        url = _owner_url(admin.settings)
        statements = grant_app_role(url, role)
    for statement in statements:
        click.echo(statement)
    click.echo(f"granted {role} the application's privileges on {_where(url)}")


@app.command("current")
def current() -> None:
    """Show the schema revision of the database and whether it is the newest."""
    from docex.db.migrate import current_revision, head_revision

    with admin_context() as admin:
        url = admin.settings.database_url
        revision = current_revision(url)
    head = head_revision()
    if revision == head:
        click.echo(f"{revision} (head) {_where(url)}")
    elif revision is None:
        click.echo(f"(empty; head is {head}: run `docex db upgrade`) {_where(url)}")
    else:
        click.echo(f"{revision} (head is {head}: run `docex db upgrade`) {_where(url)}")
