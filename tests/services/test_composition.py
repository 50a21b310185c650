"""The composition root: the schema rule, the container, the one dispatcher wiring."""

from __future__ import annotations

from pathlib import Path

import pytest

from docex.composition import build_container, open_database, webhook_dispatcher
from docex.db.engine import session_factory
from docex.db.migrate import current_revision, head_revision
from docex.errors import DatabaseError, TrustConfigError
from docex.services.health import check_ready
from docex.settings import Settings
from tests.servers import PostgresServer

DEV_TRUST = Path(__file__).resolve().parents[2] / "certs-dev" / "trust"


def _embedded(tmp_path: Path, **changes: object) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'docex.sqlite3'}",
        object_store=f"local:{tmp_path / 'objects'}",
        **changes,  # type: ignore[arg-type]  # test settings, checked by pydantic
    )


def test_embedded_database_is_migrated(tmp_path: Path) -> None:
    engine = open_database(_embedded(tmp_path))
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_other_databases_are_checked_not_migrated(postgres_server: PostgresServer) -> None:
    postgres_server.ensure_running()
    settings = Settings(database_url=postgres_server.create_schema())
    with pytest.raises(DatabaseError) as caught:
        open_database(settings)
    assert str(caught.value) == (
        f"the database has never been migrated; this docex needs revision {head_revision()}: "
        "run `docex db upgrade`"
    )


def test_container_is_ready_and_closes(tmp_path: Path) -> None:
    container = build_container(_embedded(tmp_path, trust=[DEV_TRUST], verify_workers=0))
    try:
        check_ready(sessions=container.sessions, store=container.store)
        assert (tmp_path / "objects").is_dir()
    finally:
        container.close()


def test_bad_trust_stops_the_build_before_the_database_opens(tmp_path: Path) -> None:
    with pytest.raises(TrustConfigError):
        build_container(_embedded(tmp_path, trust=[tmp_path / "missing"]))
    assert not (tmp_path / "docex.sqlite3").exists()


def test_dispatcher_sends_nothing_from_an_empty_outbox(tmp_path: Path) -> None:
    settings = _embedded(tmp_path)
    engine = open_database(settings)
    try:
        with webhook_dispatcher(session_factory(engine), settings) as dispatcher:
            stats = dispatcher.drain()
        assert (stats.delivered, stats.failed, stats.dead) == (0, 0, 0)
    finally:
        engine.dispose()
