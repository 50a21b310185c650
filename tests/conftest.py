"""Shared fixtures: the same tests run on the embedded shape and on the production shape.

``backend`` (and the narrower ``object_store``, ``engine``, ``sessions``) is parameterised
over ``sqlite-local`` (SQLite file + local folder) and ``postgres-s3`` (PostgreSQL +
SeaweedFS S3). The servers start once per pytest process (per xdist worker) and only if a
selected test needs them; every test gets its own database and bucket.

A test that asks for ``engine`` gets a database already migrated to the newest revision:
the migrations run once per process into a template (a SQLite file, a PostgreSQL
database), and each such test gets a copy of it, which costs a few milliseconds where
migrating costs a few hundred. A test that takes only ``backend_settings`` still gets an
empty, never migrated database.

If PostgreSQL or SeaweedFS is not installed, ``postgres-s3`` tests are skipped, unless
``DOCEX_TEST_REQUIRE_SERVERS=1`` (as in CI) turns that into a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from docex.db import create_engine_from_settings, session_factory, upgrade
from docex.settings import Settings
from docex.storage import ObjectStore, open_object_store
from tests.servers import (
    PostgresServer,
    SeaweedS3Server,
    ServerNotInstalledError,
    start_servers,
)

BACKENDS = ("sqlite-local", "postgres-s3")


def _server_missing(exc: ServerNotInstalledError) -> None:
    if os.environ.get("DOCEX_TEST_REQUIRE_SERVERS") == "1":
        pytest.fail(str(exc))
    pytest.skip(str(exc))


@pytest.fixture(scope="session")
def _real_servers() -> Iterator[tuple[PostgresServer, SeaweedS3Server]]:
    try:
        postgres, s3 = start_servers()
    except ServerNotInstalledError as exc:
        _server_missing(exc)
    try:
        yield postgres, s3
    finally:
        postgres.destroy()
        s3.destroy()


@pytest.fixture(scope="session")
def postgres_server(_real_servers: tuple[PostgresServer, SeaweedS3Server]) -> PostgresServer:
    """A PostgreSQL cluster for this test process; tests may stop and restart it."""
    return _real_servers[0]


@pytest.fixture(scope="session")
def s3_server(_real_servers: tuple[PostgresServer, SeaweedS3Server]) -> SeaweedS3Server:
    """A SeaweedFS S3 server for this test process; tests may stop and restart it."""
    return _real_servers[1]


@dataclass(frozen=True)
class Servers:
    """The real servers behind a backend; ``None`` for the embedded shape."""

    postgres: PostgresServer | None = None
    s3: SeaweedS3Server | None = None


@pytest.fixture(params=BACKENDS)
def backend_name(request: pytest.FixtureRequest) -> str:
    """Which deployment shape the test runs on."""
    return str(request.param)


@pytest.fixture
def servers(backend_name: str, request: pytest.FixtureRequest) -> Servers:
    """The servers of the backend, running (a previous test may have stopped them)."""
    if backend_name == "sqlite-local":
        return Servers()
    postgres: PostgresServer = request.getfixturevalue("postgres_server")
    s3: SeaweedS3Server = request.getfixturevalue("s3_server")
    postgres.ensure_running()
    s3.ensure_running()
    return Servers(postgres=postgres, s3=s3)


_MIGRATED_URLS: set[str] = set()
"""Database URLs ``backend_settings`` handed out as copies of a migrated template."""

_POSTGRES_TEMPLATE = "docex_migrated"


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest revision, to copy for each test."""
    folder = tmp_path_factory.mktemp("migrated-sqlite")
    path = folder / "docex.sqlite3"
    upgrade(f"sqlite:///{path}")
    # The copy is of this one file: nothing may be left in a journal beside it.
    assert [p.name for p in folder.iterdir()] == [path.name]
    return path


@pytest.fixture
def backend_settings(
    backend_name: str, servers: Servers, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Settings]:
    """Settings pointing at a fresh database and object store of the backend.

    The database is empty, or, for a test that also takes ``engine``, a copy of one the
    migrations made (see the module docstring).
    """
    migrated = "engine" in request.fixturenames
    if servers.postgres is None or servers.s3 is None:
        database = tmp_path / "docex.sqlite3"
        if migrated:
            shutil.copyfile(request.getfixturevalue("_migrated_sqlite"), database)
        settings = Settings(
            database_url=f"sqlite:///{database}",
            object_store=f"local:{tmp_path / 'objects'}",
        )
    else:
        settings = Settings(
            database_url=(
                servers.postgres.clone_database(_POSTGRES_TEMPLATE, prepare=upgrade)
                if migrated
                else servers.postgres.create_schema()
            ),
            object_store=f"s3://{servers.s3.new_bucket_name()}",
            s3_endpoint=servers.s3.endpoint,
            s3_access_key=servers.s3.access_key,
            s3_secret_key=servers.s3.secret_key,
            s3_secure=False,
            s3_region=servers.s3.region,
        )
    if migrated:
        _MIGRATED_URLS.add(settings.database_url)
    yield settings
    if migrated:
        _MIGRATED_URLS.discard(settings.database_url)
        if servers.postgres is not None:
            # A database per test would otherwise stay on disk (7 MB each) until the
            # cluster goes; a test may leave the server stopped, which keeps it there.
            with contextlib.suppress(psycopg.Error):
                servers.postgres.drop_database(settings.database_url)


@pytest.fixture
def object_store(backend_settings: Settings) -> ObjectStore:
    """The backend's object store, with its folder or bucket created."""
    return open_object_store(backend_settings)


@pytest.fixture
def engine(backend_settings: Settings) -> Iterator[Engine]:
    """An engine on the backend's database, migrated to the newest revision."""
    engine = create_engine_from_settings(backend_settings)
    if backend_settings.database_url not in _MIGRATED_URLS:
        upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """Session factory for ``unit_of_work``."""
    return session_factory(engine)


@dataclass(frozen=True)
class Backend:
    """Everything the service layer needs, on one deployment shape."""

    name: str
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: ObjectStore
    servers: Servers


@pytest.fixture
def backend(
    backend_name: str,
    backend_settings: Settings,
    engine: Engine,
    sessions: sessionmaker[Session],
    object_store: ObjectStore,
    servers: Servers,
) -> Backend:
    """A migrated database and an object store of the same deployment shape."""
    return Backend(
        name=backend_name,
        settings=backend_settings,
        engine=engine,
        sessions=sessions,
        store=object_store,
        servers=servers,
    )
