"""The API's PostgreSQL role owns nothing and holds only ``docex db grant``'s privileges.

A real cluster (``tests/servers.py``): an owner role migrates a database it owns, grants an
application role, and then every use case below runs *as the application role* — the
facilities, employees and tokens the fixtures register, and a full submission. What the
role must not do (change or empty the audit log, drop or alter anything) fails with
PostgreSQL's "permission denied", not merely with the audit triggers' exception.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors, sql
from sqlalchemy import Engine, select, text

from docex.composition import Container
from docex.db.audit import AuditEntry
from docex.db.documents import Document
from docex.db.engine import create_engine_from_settings, unit_of_work
from docex.db.migrate import grant_app_role, role_owned_objects, upgrade
from docex.devpki.pki import DevPki
from docex.errors import SettingsError
from docex.settings import Settings
from tests.servers import PostgresServer, SeaweedS3Server
from tests.services.conftest import FACILITY_A, Parties, send_result_to_a


@pytest.fixture
def backend_name() -> str:
    """Roles exist only on PostgreSQL."""
    return "postgres-s3"


class Roles:
    """An owner and an application role on a database the owner owns."""

    def __init__(self, server: PostgresServer) -> None:
        tag = uuid.uuid4().hex[:8]
        self.server = server
        self.owner = f"owner_{tag}"
        self.app = f"app_{tag}"
        self.database = f"lp_{tag}"
        for role in (self.owner, self.app):
            self.admin(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        # As the compose file's init script does: the database belongs to the owner, whose
        # public schema (owned by pg_database_owner on PostgreSQL 15) it may create in.
        self.admin(
            sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0").format(
                sql.Identifier(self.database), sql.Identifier(self.owner)
            )
        )

    def url(self, role: str) -> str:
        return f"postgresql+psycopg://{role}@127.0.0.1:{self.server.port}/{self.database}"

    def admin(self, statement: sql.Composed, database: str = "postgres") -> None:
        """Run ``statement`` as the cluster's superuser."""
        conninfo = (
            f"host=127.0.0.1 port={self.server.port} user={self.server.user} dbname={database}"
        )
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(statement)

    def connect(self, role: str) -> psycopg.Connection[tuple[object, ...]]:
        """A plain connection as ``role``, outside SQLAlchemy, to try forbidden statements."""
        return psycopg.connect(
            f"host=127.0.0.1 port={self.server.port} user={role} dbname={self.database}",
            autocommit=True,
        )


@pytest.fixture
def roles(postgres_server: PostgresServer) -> Roles:
    postgres_server.ensure_running()
    return Roles(postgres_server)


@pytest.fixture
def backend_settings(roles: Roles, s3_server: SeaweedS3Server) -> Settings:
    """The API's settings: the application role's URL, the owner's for migrations."""
    s3_server.ensure_running()
    return Settings(
        database_url=roles.url(roles.app),
        migration_database_url=roles.url(roles.owner),
        object_store=f"s3://{s3_server.new_bucket_name()}",
        s3_endpoint=s3_server.endpoint,
        s3_access_key=s3_server.access_key,
        s3_secret_key=s3_server.secret_key,
        s3_secure=False,
        s3_region=s3_server.region,
    )


@pytest.fixture
def engine(backend_settings: Settings, roles: Roles) -> Iterator[Engine]:
    """Migrated and granted as the owner; the engine the use cases get is the app role's."""
    assert backend_settings.migration_database_url is not None
    upgrade(backend_settings.migration_database_url)
    grant_app_role(backend_settings.migration_database_url, roles.app)
    engine = create_engine_from_settings(backend_settings)
    yield engine
    engine.dispose()


def test_a_full_submission_works_as_the_app_role(
    runtime: Container, parties: Parties, pki: DevPki, roles: Roles
) -> None:
    with runtime.engine.connect() as connection:
        assert connection.scalar(text("SELECT current_user")) == roles.app
    _signed, result = send_result_to_a(runtime, parties, pki)
    with unit_of_work(runtime.sessions) as session:
        document = session.get(Document, result.document.id)
        assert document is not None
        assert document.recipient is not None
        assert document.recipient.edrpou == FACILITY_A
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert "document.submit" in actions
    assert runtime.store.exists(document.object_key)


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM audit_entries",
        "UPDATE audit_entries SET outcome = outcome",
        "TRUNCATE audit_entries",
        "DROP TABLE audit_entries",
        "ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only",
        "DROP TRIGGER audit_entries_append_only ON audit_entries",
        "DROP TABLE documents",
        "ALTER TABLE documents ADD COLUMN x integer",
        "DELETE FROM documents",
        "UPDATE alembic_version SET version_num = '0001'",
        "CREATE TABLE mine (id integer)",
        "DROP FUNCTION docex_audit_append(bigint, integer, integer[], jsonb, bytea[])",
    ],
)
def test_the_app_role_cannot_change_history_or_schema(
    engine: Engine, roles: Roles, statement: str
) -> None:
    with roles.connect(roles.app) as conn, pytest.raises(errors.InsufficientPrivilege) as caught:
        conn.execute(statement.encode())
    message = str(caught.value)
    assert message.startswith(("permission denied", "must be owner of")), message


def test_the_app_role_owns_nothing_and_appends_through_the_function(
    runtime: Container, parties: Parties, roles: Roles
) -> None:
    with runtime.engine.connect() as connection:
        assert role_owned_objects(connection, roles.app) == []
        assert role_owned_objects(connection, roles.owner) != []
        granted: dict[str, str] = dict(
            connection.execute(
                text(
                    "SELECT table_name, string_agg(privilege_type, ',' ORDER BY privilege_type)"
                    " FROM information_schema.role_table_grants"
                    " WHERE grantee = :r GROUP BY table_name"
                ),
                {"r": roles.app},
            ).all()
        )
        may_execute = connection.scalar(
            text(
                "SELECT has_function_privilege(:r,"
                " 'docex_audit_append(bigint, integer, integer[], jsonb, bytea[])', 'EXECUTE')"
            ),
            {"r": roles.app},
        )
    assert granted["audit_entries"] == "INSERT,SELECT"
    assert granted["audit_chain_config"] == "INSERT,SELECT"
    assert granted["alembic_version"] == "SELECT"
    assert granted["documents"] == "INSERT,SELECT,UPDATE"
    assert all(
        value == "INSERT,SELECT,UPDATE"
        for table, value in granted.items()
        if table not in ("audit_entries", "audit_chain_config", "alembic_version")
    )
    assert may_execute is True


def test_grant_refuses_a_superuser_and_an_owner(engine: Engine, roles: Roles) -> None:
    owner_url = roles.url(roles.owner)
    with pytest.raises(SettingsError, match=rf"role '{roles.server.user}' is a superuser"):
        grant_app_role(owner_url, roles.server.user)
    with pytest.raises(
        SettingsError,
        match=rf"role '{roles.owner}' owns \d+ objects \(function docex_audit_append\(",
    ):
        grant_app_role(owner_url, roles.owner)
    with pytest.raises(SettingsError, match="role 'nobody_here' does not exist"):
        grant_app_role(owner_url, "nobody_here")
    with pytest.raises(SettingsError, match="is not a plain PostgreSQL role name"):
        grant_app_role(owner_url, 'x"; DROP TABLE documents; --')


def test_grant_again_converges_on_the_same_privileges(engine: Engine, roles: Roles) -> None:
    # An operator who once granted too much (by hand) gets it taken back by the command.
    roles.admin(
        sql.SQL("GRANT ALL ON TABLE audit_entries TO {}").format(sql.Identifier(roles.app)),
        roles.database,
    )
    first = grant_app_role(roles.url(roles.owner), roles.app)
    assert grant_app_role(roles.url(roles.owner), roles.app) == first
    with roles.connect(roles.app) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute(b"DELETE FROM audit_entries")
