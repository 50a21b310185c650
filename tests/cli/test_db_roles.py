"""The compose file's PostgreSQL set-up, for real: the init script, then ``docex db`` as owner.

``deploy/postgres/10-docex-roles.sh`` runs against the test cluster as the postgres image
would run it (``psql`` as the superuser), creating ``docex_owner``, ``docex_app`` and the
``docex`` database; then ``docex db upgrade --grant-to docex_app`` migrates as the owner
(``DOCEX_MIGRATION_DATABASE_URL``) while ``DOCEX_DATABASE_URL`` names the app role, and
the administrative commands work as the app role, which cannot touch the audit log.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

from docex.cli.exit_codes import ExitCode
from docex.db.migrate import head_revision
from tests.cli.conftest import PASSWORD, Docex, one_line_error
from tests.servers import PostgresServer

REPO = Path(__file__).resolve().parents[2]
INIT = REPO / "deploy" / "postgres" / "10-docex-roles.sh"


def run_init_script(server: PostgresServer) -> None:
    env = {
        "PATH": f"{server.bindir}:{os.environ['PATH']}",
        "PGHOST": "127.0.0.1",
        "PGPORT": str(server.port),
        "POSTGRES_USER": server.user,
        "DOCEX_DB_OWNER_PASSWORD": "owner-secret",
        "DOCEX_DB_APP_PASSWORD": "app-secret",
    }
    done = subprocess.run(
        ["/bin/sh", str(INIT)], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def connect(server: PostgresServer, role: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        f"host=127.0.0.1 port={server.port} user={role} dbname=docex", autocommit=True
    )


@pytest.fixture(scope="module")
def initialised(postgres_server: PostgresServer) -> PostgresServer:
    """The test cluster after the init script (roles are cluster-wide: once per session)."""
    postgres_server.ensure_running()
    run_init_script(postgres_server)
    return postgres_server


def url(server: PostgresServer, role: str) -> str:
    return f"postgresql://{role}:{PASSWORD}@127.0.0.1:{server.port}/docex"


def test_the_compose_roles_migrate_grant_and_hold(
    initialised: PostgresServer, docex: Docex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCEX_DATABASE_URL", url(initialised, "docex_app"))
    monkeypatch.setenv("DOCEX_MIGRATION_DATABASE_URL", url(initialised, "docex_owner"))

    # The app role cannot migrate: before the grant it may not even use the owner's schema.
    monkeypatch.setenv("DOCEX_MIGRATION_DATABASE_URL", url(initialised, "docex_app"))
    refused = docex("db", "upgrade")
    assert refused.exit_code == ExitCode.ERROR
    assert refused.stderr.startswith(
        "docex: error: database error: no schema has been selected to create in\n"
    )

    monkeypatch.setenv("DOCEX_MIGRATION_DATABASE_URL", url(initialised, "docex_owner"))
    upgraded = docex("db", "upgrade", "--grant-to", "docex_app")
    assert upgraded.exit_code == ExitCode.OK, upgraded.output
    lines = upgraded.stdout.splitlines()
    assert lines[0] == (
        f"postgresql+psycopg://docex_owner:***@127.0.0.1:{initialised.port}/docex "
        f"upgraded from revision (empty) to {head_revision()}"
    )
    assert lines[1] == "granted docex_app the application's privileges"
    assert PASSWORD not in upgraded.stdout

    # Everything an administrator does through docex runs as the app role.
    assert docex("db", "current").stdout.startswith(f"{head_revision()} (head) ")
    added = docex("facility", "add", "--edrpou", "12345678", "--name", "A")
    assert added.exit_code == ExitCode.OK, added.output
    with connect(initialised, "docex_app") as conn:
        assert conn.execute(b"SELECT count(*) FROM audit_entries").fetchone() == (1,)
        for statement in (b"DELETE FROM audit_entries", b"TRUNCATE audit_entries"):
            with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
                conn.execute(statement)

    again = docex("db", "grant", "--role", "docex_app")
    assert again.exit_code == ExitCode.OK, again.output
    assert "GRANT SELECT, INSERT ON TABLE public.audit_entries TO docex_app" in again.stdout


def test_other_roles_cannot_even_connect(initialised: PostgresServer) -> None:
    with psycopg.connect(
        f"host=127.0.0.1 port={initialised.port} user={initialised.user} dbname=postgres",
        autocommit=True,
    ) as admin:
        admin.execute(b"CREATE ROLE stranger LOGIN")
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        connect(initialised, "stranger")


def test_grant_on_sqlite_is_a_usage_error(docex: Docex) -> None:
    result = docex("db", "grant", "--role", "docex_app")
    assert result.exit_code == ExitCode.USAGE
    assert one_line_error(result) == (
        "database roles are a PostgreSQL feature; SQLite has no app role to grant"
    )
