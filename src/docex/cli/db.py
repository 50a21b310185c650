"""``docex db``: the schema of the configured database.

In production the operator runs ``docex db upgrade`` once before starting (or upgrading)
the API workers; the embedded SQLite default is migrated automatically.
"""

from __future__ import annotations

import typer

from docex.cli.context import admin_context

app = typer.Typer(name="db", help="Migrate the configured database.", no_args_is_help=True)


def _where(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command("upgrade")
def upgrade() -> None:
    """Bring the database named by DOCEX_DATABASE_URL up to the newest schema.

    Safe to run again, and from several machines at once (PostgreSQL takes a lock).
    """
    from docex.db.migrate import current_revision, upgrade

    with admin_context() as admin:
        url = admin.settings.database_url
        before = current_revision(url)
        upgrade(url)
        after = current_revision(url)
    if before == after:
        typer.echo(f"{_where(url)} is up to date at revision {after}")
    else:
        typer.echo(f"{_where(url)} upgraded from revision {before or '(empty)'} to {after}")


@app.command("current")
def current() -> None:
    """Show the schema revision of the database and whether it is the newest."""
    from docex.db.migrate import current_revision, head_revision

    with admin_context() as admin:
        url = admin.settings.database_url
        revision = current_revision(url)
    head = head_revision()
    if revision == head:
        typer.echo(f"{revision} (head) {_where(url)}")
    elif revision is None:
        typer.echo(f"(empty; head is {head}: run `docex db upgrade`) {_where(url)}")
    else:
        typer.echo(f"{revision} (head is {head}: run `docex db upgrade`) {_where(url)}")
