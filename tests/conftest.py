"""Shared fixtures: the same tests run on the embedded shape and on the production shape.

``backend`` (and the narrower ``object_store``, ``engine``, ``sessions``) is parameterised
over ``sqlite-local`` (SQLite file + local folder) and ``postgres-s3`` (PostgreSQL +
SeaweedFS S3). The servers start once per pytest process (per xdist worker) and only if a
selected test needs them; every test gets its own database and bucket.

If PostgreSQL or SeaweedFS is not installed, ``postgres-s3`` tests are skipped, unless
``DOCEX_TEST_REQUIRE_SERVERS=1`` (as in CI) turns that into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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


@pytest.fixture
def backend_settings(backend_name: str, servers: Servers, tmp_path: Path) -> Settings:
    """Settings pointing at a fresh, empty database and object store of the backend."""
    if servers.postgres is None or servers.s3 is None:
        return Settings(
            database_url=f"sqlite:///{tmp_path / 'docex.sqlite3'}",
            object_store=f"local:{tmp_path / 'objects'}",
        )
    return Settings(
        database_url=servers.postgres.create_schema(),
        object_store=f"s3://{servers.s3.new_bucket_name()}",
        s3_endpoint=servers.s3.endpoint,
        s3_access_key=servers.s3.access_key,
        s3_secret_key=servers.s3.secret_key,
        s3_secure=False,
        s3_region=servers.s3.region,
    )


@pytest.fixture
def object_store(backend_settings: Settings) -> ObjectStore:
    """The backend's object store, with its folder or bucket created."""
    return open_object_store(backend_settings)


@pytest.fixture
def engine(backend_settings: Settings) -> Iterator[Engine]:
    """An engine on the backend's database, migrated to the newest revision."""
    engine = create_engine_from_settings(backend_settings)
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
