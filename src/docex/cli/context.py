"""What the administrative commands share: settings from the environment, the database
once a command needs it, and the translation of our errors into one line and an exit code.

A command body reads::

    with admin_context() as admin:
        facility = add_facility(sessions=admin.sessions, actor=SYSTEM, ...)

and calls one use case of :mod:`docex.services`. What the context opens it gets from the
composition root (:mod:`docex.composition`), as the API does. Settings are read when the
command runs, never at import; SQLAlchemy is imported only by the commands that open the
database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import click

from docex.cli.exit_codes import exit_code_for_error
from docex.errors import DocexError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from docex.registry.tokens import TokenPolicy
    from docex.services.events import Events
    from docex.settings import Settings
    from docex.storage.base import ObjectStore


def fail(exc: DocexError) -> NoReturn:
    """Report ``exc`` on one line of stderr and exit with the status it calls for."""
    click.echo(f"docex: error: {exc}", err=True)
    raise click.exceptions.Exit(int(exit_code_for_error(exc)))


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn a ``DocexError`` raised in the block into a one-line message and exit status.

    Anything else is a bug and keeps its traceback.
    """
    try:
        yield
    except DocexError as exc:
        fail(exc)


class AdminContext:
    """The settings of this invocation and, opened on first use, its database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None

    @property
    def engine(self) -> Engine:
        """The engine on ``settings.database_url``, opened on first use by
        :func:`docex.composition.open_database` (SQLite migrated, others checked)."""
        if self._engine is None:
            from docex.composition import open_database

            self._engine = open_database(self.settings)
        return self._engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory the use cases in :mod:`docex.services` open their unit of
        work on."""
        from docex.db.engine import session_factory

        if self._sessions is None:
            self._sessions = session_factory(self.engine, audit_chains=self.settings.audit_chains)
        return self._sessions

    @property
    def token_policy(self) -> TokenPolicy:
        """How this deployment hashes API tokens."""
        from docex.composition import token_policy

        return token_policy(self.settings)

    @property
    def store(self) -> ObjectStore:
        """The object store ``settings`` name, checked to answer."""
        from docex.composition import open_store

        return open_store(self.settings)

    @property
    def events(self) -> Events:
        """Where the routing use cases report what they change."""
        from docex.composition import build_events

        return build_events()

    def close(self) -> None:
        """Release the database connections, if any were opened."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
            self._sessions = None


@contextmanager
def admin_context() -> Iterator[AdminContext]:
    """Settings from the environment and a database opened on demand, closed afterwards.

    Our errors raised in the block, including a bad configuration, end the command with
    one line on stderr and the matching exit status.
    """
    from docex.settings import load_settings

    with reporting_errors():
        context = AdminContext(load_settings())
        try:
            yield context
        finally:
            context.close()
