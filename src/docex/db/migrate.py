"""Schema migrations, run from code: no alembic.ini on disk, no CLI needed.

``upgrade(engine)`` is what deployments and tests call; ``revision(...)`` is for developers
adding a migration after changing a table module (see :mod:`docex.db.schema`).

On PostgreSQL, production runs two roles (see ``docs/deployment.md``): an *owner* that
creates the schema — migrations connect as it — and an *application* role that owns
nothing and holds only what :func:`grant_app_role` gives it. A role that owns a table can
drop its triggers, and a superuser bypasses them, so only such a role makes the
append-only audit log's triggers and missing privileges bind the API workers.
"""

from __future__ import annotations

import re

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from docex.db.engine import create_engine_from_url, translate_db_error
from docex.errors import DatabaseError, SettingsError

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


APPEND_ONLY_TABLES = frozenset({"audit_entries", "audit_chain_config"})
"""Tables the application role may read and append to, never change: the audit log, and
the number of its chains (written once, by the first append)."""

READ_ONLY_TABLES = frozenset({"alembic_version"})
"""Tables the application role only reads: the schema revision it checks at start-up."""

APP_FUNCTIONS = ("docex_audit_append(bigint, integer, integer[], jsonb, bytea[])",)
"""Functions the application calls; EXECUTE is revoked from PUBLIC and granted to it."""

# Functions that only run as triggers: nobody needs EXECUTE on them.
_TRIGGER_FUNCTIONS = ("docex_audit_append_only()",)

_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_$]{0,62}")


def _check_role_name(role: str) -> str:
    # Quoted anyway; refusing anything but a plain lower-case name avoids a role whose
    # name differs from what the operator typed only in case or punctuation.
    if not _ROLE_NAME.fullmatch(role):
        raise SettingsError(f"role {role!r} is not a plain PostgreSQL role name")
    return role


def grant_app_role(target: Engine | str | URL, role: str) -> list[str]:
    """Give the PostgreSQL role ``role`` exactly the privileges the API workers need.

    Run as the schema's owner after every :func:`upgrade` (``docex db upgrade --grant-to``
    does both): a grant covers the tables that exist when it runs, so a migration that
    adds a table needs the grant again. It is a command rather than a migration because
    the role's name is the deployment's choice, not part of the schema, and because a
    migration could not re-grant on tables added by later migrations without knowing it.

    The role gets USAGE on the current schema; SELECT, INSERT and UPDATE on every docex
    table (the application never deletes a row: webhooks and tokens are deactivated, not
    removed); only SELECT and INSERT on :data:`APPEND_ONLY_TABLES`; only SELECT on
    :data:`READ_ONLY_TABLES`; USAGE on the schema's sequences; EXECUTE on
    :data:`APP_FUNCTIONS`. Any other privilege it held on those tables is revoked first,
    so running it again converges on exactly this set.

    Refuses (``SettingsError``) a role that does not exist, can log in as a superuser or
    bypass row security, or owns anything in the database: for such a role the grants
    would bind nothing. Returns the statements it executed.
    """
    _check_role_name(role)
    engine, owned = _engine(target)
    try:
        with engine.begin() as connection:
            if connection.dialect.name != "postgresql":
                raise SettingsError(
                    "database roles are a PostgreSQL feature; SQLite has no app role to grant"
                )
            return _grant(connection, role)
    except SQLAlchemyError as exc:
        raise translate_db_error(exc) from exc
    finally:
        if owned:
            engine.dispose()


def _grant(connection: Connection, role: str) -> list[str]:
    attributes = connection.execute(
        text("SELECT rolsuper, rolbypassrls, rolcreaterole FROM pg_roles WHERE rolname = :r"),
        {"r": role},
    ).first()
    if attributes is None:
        raise SettingsError(f"role {role!r} does not exist; create it first (CREATE ROLE)")
    if any(attributes):
        raise SettingsError(
            f"role {role!r} is a superuser, bypasses row security or creates roles: "
            "grants would not bind it"
        )
    owns = role_owned_objects(connection, role)
    if owns:
        shown = ", ".join(owns[:3]) + (", ..." if len(owns) > 3 else "")
        raise SettingsError(
            f"role {role!r} owns {len(owns)} objects ({shown}): it must own nothing"
        )
    schema = connection.scalar(text("SELECT current_schema()"))
    if schema is None:
        raise DatabaseError("database error: no current schema to grant on")
    tables = list(
        connection.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY tablename"),
            {"s": schema},
        )
    )
    if "alembic_version" not in tables:
        raise SettingsError("the database has never been migrated: run `docex db upgrade`")
    quote = connection.dialect.identifier_preparer.quote
    who, where = quote(role), quote(schema)
    statements = [
        f"GRANT USAGE ON SCHEMA {where} TO {who}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {who}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {where} FROM {who}",
    ]
    for table in tables:
        if table in APPEND_ONLY_TABLES:
            privileges = "SELECT, INSERT"
        elif table in READ_ONLY_TABLES:
            privileges = "SELECT"
        else:
            privileges = "SELECT, INSERT, UPDATE"
        statements.append(f"GRANT {privileges} ON TABLE {where}.{quote(table)} TO {who}")
    # USAGE allows nextval() and currval(), which is what inserting a row takes.
    statements.append(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {where} TO {who}")
    for function in APP_FUNCTIONS:
        # Functions are executable by PUBLIC by default; only the application needs these.
        statements.append(f"REVOKE EXECUTE ON FUNCTION {where}.{function} FROM PUBLIC")
        statements.append(f"GRANT EXECUTE ON FUNCTION {where}.{function} TO {who}")
    for function in _TRIGGER_FUNCTIONS:
        statements.append(f"REVOKE EXECUTE ON FUNCTION {where}.{function} FROM PUBLIC")
    for statement in statements:
        connection.execute(text(statement))
    return statements


def role_owned_objects(connection: Connection, role: str) -> list[str]:
    """Names of the relations, functions, types and schemas ``role`` owns in this database."""
    rows = connection.execute(
        text(
            """
            SELECT 'relation ' || c.oid::regclass::text FROM pg_class c
              JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = :r
            UNION ALL
            SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p
              JOIN pg_roles r ON r.oid = p.proowner WHERE r.rolname = :r
            UNION ALL
            SELECT 'type ' || t.oid::regtype::text FROM pg_type t
              JOIN pg_roles r ON r.oid = t.typowner WHERE r.rolname = :r
            UNION ALL
            SELECT 'schema ' || n.nspname FROM pg_namespace n
              JOIN pg_roles r ON r.oid = n.nspowner WHERE r.rolname = :r
            ORDER BY 1
            """
        ),
        {"r": role},
    )
    return [row[0] for row in rows]
