"""Sessions without a transaction of their own, on the same engine and pool."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from docex.db.engine import autocommit_sessions, unit_of_work
from docex.db.registry import Facility
from docex.domain import FacilityStatus


def _count(sessions: sessionmaker[Session]) -> int:
    with unit_of_work(sessions) as session:
        return int(session.scalar(select(func.count()).select_from(Facility)) or 0)


def _facility(edrpou: str) -> Facility:
    return Facility(edrpou=edrpou, name=edrpou, status=FacilityStatus.ACTIVE)


def test_one_factory_per_factory(sessions: sessionmaker[Session]) -> None:
    made = autocommit_sessions(sessions)
    assert autocommit_sessions(sessions) is made
    assert made.kw["info"] == sessions.kw["info"]
    assert made.kw["expire_on_commit"] is False


def test_each_statement_commits_on_its_own(sessions: sessionmaker[Session]) -> None:
    session = autocommit_sessions(sessions)()
    try:
        session.add(_facility("11111111"))
        session.flush()
        # Seen by another connection before this session commits, or rolls back.
        assert _count(sessions) == 1
        session.rollback()
    finally:
        session.close()
    assert _count(sessions) == 1


def test_the_pooled_connection_is_transactional_again_after(
    sessions: sessionmaker[Session],
) -> None:
    with unit_of_work(autocommit_sessions(sessions)) as session:
        raw = session.connection().connection.dbapi_connection
        assert raw is not None
        assert _autocommit(raw)
    # Back in the pool, shared with transactional sessions: as they expect it.
    assert not _autocommit(raw)


def _autocommit(raw: Any) -> bool:
    if isinstance(raw, sqlite3.Connection):
        return raw.isolation_level is None
    return bool(raw.autocommit)
