"""PostgreSQL connections are pinged only after idling, not on every checkout."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from docex.db import create_engine_from_url, session_factory, unit_of_work
from docex.db.engine import autocommit_sessions
from docex.errors import DatabaseUnavailableError
from docex.settings import Settings

pytestmark = pytest.mark.parametrize("backend_name", ["postgres-s3"], indirect=True)


def _engine(settings: Settings, ping_after_idle: float) -> Iterator[Engine]:
    engine = create_engine_from_url(
        settings.database_url, ping_after_idle=ping_after_idle, pool_size=1, max_overflow=0
    )
    yield engine
    engine.dispose()


@pytest.fixture
def always_pinging(backend_settings: Settings) -> Iterator[Engine]:
    yield from _engine(backend_settings, 0.0)


@pytest.fixture
def never_pinging(backend_settings: Settings) -> Iterator[Engine]:
    yield from _engine(backend_settings, 3600.0)


def _pooled_backend_killed(engine: Engine, settings: Settings) -> None:
    """Use the pool's one connection, return it, then end its server process."""
    with unit_of_work(session_factory(engine)) as session:
        pid = session.scalar(text("SELECT pg_backend_pid()"))
    url = make_url(settings.database_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as admin:
        row = admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()
        assert row == (True,)


def test_an_idle_connection_that_died_is_replaced_before_use(
    always_pinging: Engine, backend_settings: Settings
) -> None:
    _pooled_backend_killed(always_pinging, backend_settings)
    with unit_of_work(session_factory(always_pinging)) as session:
        assert session.scalar(text("SELECT 41 + 1")) == 42


def test_a_connection_back_from_a_recent_request_is_not_pinged(
    never_pinging: Engine, backend_settings: Settings
) -> None:
    _pooled_backend_killed(never_pinging, backend_settings)
    # No ping: the dead connection is handed out and its request fails as unavailable ...
    with pytest.raises(DatabaseUnavailableError), unit_of_work(session_factory(never_pinging)) as s:
        s.scalar(text("SELECT 1"))
    # ... and the pool, invalidated by that failure, serves the next one afresh.
    with unit_of_work(session_factory(never_pinging)) as session:
        assert session.scalar(text("SELECT 41 + 1")) == 42


def test_a_pinged_connection_is_handed_out_outside_a_transaction(
    always_pinging: Engine,
) -> None:
    sessions = session_factory(always_pinging)
    with unit_of_work(sessions) as session:
        session.scalar(text("SELECT 1"))
    # Pinged on this checkout: a session without a transaction can still have it.
    with unit_of_work(autocommit_sessions(sessions)) as session:
        raw = cast("psycopg.Connection[Any]", session.connection().connection.dbapi_connection)
        assert raw.autocommit
        assert raw.info.transaction_status is psycopg.pq.TransactionStatus.IDLE
