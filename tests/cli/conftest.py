"""The administrative commands run against a fresh embedded database per test.

``cli_env`` strips every ``DOCEX_*`` variable the developer may have set and points docex
at an SQLite file and a folder under the test's temporary directory; ``docex`` runs the
command in-process through Click's runner, the way a shell would.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from docex.cli.main import app
from docex.db.engine import create_engine_from_settings, session_factory, unit_of_work
from docex.registry.tokens import TokenPolicy
from docex.settings import Settings, load_settings
from tests.servers import PostgresServer

REPO = Path(__file__).resolve().parents[2]
DEV_TRUST = REPO / "certs-dev" / "trust"
PASSWORD = "s3cret-not-shown"  # in the PostgreSQL URL; no command may print it


@dataclass(frozen=True)
class CliEnv:
    """Where the commands of one test keep their data."""

    root: Path

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.root / 'var' / 'docex.sqlite3'}"

    def settings(self) -> Settings:
        """What the commands read from the environment."""
        return load_settings()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work on the database the commands use."""
        engine = create_engine_from_settings(self.settings())
        try:
            with unit_of_work(session_factory(engine)) as session:
                yield session
        finally:
            engine.dispose()

    def policy(self) -> TokenPolicy:
        return TokenPolicy.from_settings(self.settings())


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliEnv:
    """An isolated environment: no inherited DOCEX_* settings, data under tmp_path."""
    for name in list(os.environ):
        if name.startswith("DOCEX_") and not name.startswith("DOCEX_TEST_"):
            monkeypatch.delenv(name)
    env = CliEnv(root=tmp_path)
    monkeypatch.setenv("DOCEX_DATABASE_URL", env.database_url)
    monkeypatch.setenv("DOCEX_OBJECT_STORE", f"local:{tmp_path / 'var' / 'objects'}")
    monkeypatch.setenv("DOCEX_TRUST", str(DEV_TRUST))
    monkeypatch.chdir(tmp_path)
    return env


Docex = Callable[..., Result]


@pytest.fixture
def docex(cli_env: CliEnv) -> Docex:
    """Run ``docex ARGS...`` in the isolated environment."""

    def run(*args: str) -> Result:
        return CliRunner().invoke(app, list(args))

    return run


def one_line_error(result: Result) -> str:
    """The error message of a failed command, checked to be one line without traceback."""
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("docex: error: ")
    assert "Traceback" not in result.stderr
    return lines[0].removeprefix("docex: error: ")


@pytest.fixture
def postgres_url(
    postgres_server: PostgresServer, docex: Docex, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A fresh, never migrated PostgreSQL schema, named by DOCEX_DATABASE_URL."""
    postgres_server.ensure_running()
    # The test cluster trusts local connections, so the password is ignored; it is there
    # to check that no command prints it.
    with_password = make_url(postgres_server.create_schema()).set(password=PASSWORD)
    url = with_password.render_as_string(hide_password=False)
    monkeypatch.setenv("DOCEX_DATABASE_URL", url)
    return url
