"""Engine configuration and the unit of work, including a database that goes away."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from docex.db import create_engine_from_url, unit_of_work
from docex.db.registry import Facility
from docex.errors import DatabaseUnavailableError, InputError
from tests.conftest import Servers


def test_sqlite_pragmas_and_parent_folder(tmp_path: Path) -> None:
    engine = create_engine_from_url(f"sqlite:///{tmp_path / 'deep' / 'er' / 'db.sqlite3'}")
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("PRAGMA foreign_keys")) == 1
            assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
    finally:
        engine.dispose()
    assert (tmp_path / "deep" / "er" / "db.sqlite3").exists()


def test_unit_of_work_commits_or_rolls_back(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        session.add(Facility(edrpou="11111111", name="kept"))

    def change_of_mind() -> None:
        with unit_of_work(sessions) as session:
            session.add(Facility(edrpou="22222222", name="rolled back"))
            session.flush()
            raise InputError("the service changed its mind")

    with pytest.raises(InputError):
        change_of_mind()
    with unit_of_work(sessions) as session:
        assert session.scalars(select(Facility.edrpou)).all() == ["11111111"]


@pytest.mark.parametrize("backend_name", ["postgres-s3"], indirect=True)
def test_database_down_is_unavailable_then_recovers(
    servers: Servers, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    assert servers.postgres is not None
    with unit_of_work(sessions) as session:
        session.add(Facility(edrpou="11111111", name="before the outage"))
    with servers.postgres.stopped():
        with pytest.raises(DatabaseUnavailableError), unit_of_work(sessions) as session:
            session.scalars(select(Facility)).all()
    # Pooled connections died with the server; pre-ping replaces them transparently.
    with unit_of_work(sessions) as session:
        assert session.scalars(select(Facility.name)).all() == ["before the outage"]


@pytest.mark.parametrize("backend_name", ["postgres-s3"], indirect=True)
def test_commit_failure_is_unavailable(
    servers: Servers, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    assert servers.postgres is not None
    postgres = servers.postgres

    def write_then_crash() -> None:
        with unit_of_work(sessions) as session:
            session.add(Facility(edrpou="11111111", name="never committed"))
            session.flush()
            # The server dies between the write and the commit.
            postgres.stop(mode="immediate")

    with pytest.raises(DatabaseUnavailableError):
        write_then_crash()
    postgres.start()
    with unit_of_work(sessions) as session:
        assert session.scalars(select(Facility)).all() == []
