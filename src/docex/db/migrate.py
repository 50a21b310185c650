"""Schema migrations, run from code: no alembic.ini on disk, no CLI needed.

``upgrade(engine)`` is what deployments and tests call; ``revision(...)`` is for developers
adding a migration after changing a table module (see :mod:`docex.db.schema`).
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from docex.db.engine import create_engine_from_url, translate_db_error

SCRIPT_LOCATION = "docex.db:migrations"

# Arbitrary, fixed: API workers starting together take this PostgreSQL advisory lock so
# that exactly one of them migrates and the others wait for it.
_MIGRATION_LOCK_KEY = 0x646F636578  # "docex"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _engine(target: Engine | str | URL) -> tuple[Engine, bool]:
    if isinstance(target, Engine):
        return target, False
    return create_engine_from_url(target), True


def upgrade(target: Engine | str | URL, revision: str = "head") -> None:
    """Bring the database at ``target`` (an engine or a URL) up to ``revision``.

    Safe to call on every start: an up-to-date database is left alone.
    """
    engine, owned = _engine(target)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
            command.upgrade(alembic_config(connection), revision)
    except SQLAlchemyError as exc:
        raise translate_db_error(exc) from exc
    finally:
        if owned:
            engine.dispose()


def current_revision(target: Engine | str | URL) -> str | None:
    """The revision the database is at; ``None`` if it was never migrated."""
    engine, owned = _engine(target)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise translate_db_error(exc) from exc
    finally:
        if owned:
            engine.dispose()


def head_revision() -> str:
    """The newest revision shipped with this version of docex."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("docex ships no migrations")
    return head


def revision(target: Engine | str | URL, message: str, *, rev_id: str | None = None) -> None:
    """Autogenerate a new revision from the difference between ``target`` and the models.

    For developers: point it at a database migrated to head, review the file it writes
    under ``migrations/versions``, and commit it.
    """
    engine, owned = _engine(target)
    try:
        with engine.begin() as connection:
            command.revision(
                alembic_config(connection), message=message, autogenerate=True, rev_id=rev_id
            )
    finally:
        if owned:
            engine.dispose()
