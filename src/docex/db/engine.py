"""Engines, sessions and units of work, built from settings when the application starts.

Nothing here runs at import time: ``create_engine_from_settings`` is called by whoever
builds the application and the engine is passed down.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from docex.errors import ConflictError, DatabaseError, DatabaseUnavailableError
from docex.settings import Settings

# How long SQLite waits for another writer before reporting "database is locked".
SQLITE_BUSY_TIMEOUT_SECONDS = 15

PING_AFTER_IDLE_SECONDS = 1.0
"""A pooled PostgreSQL connection idle this long is pinged before it is handed out.

A restart of the server takes longer than this, so every connection that may have died
with it is checked; under load a connection is back in use within milliseconds and is
never pinged (SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip per
transaction). A connection that fails between requests anyway fails its request, and
SQLAlchemy then invalidates the whole pool, as with pre-ping.
"""

_CHECKED_IN = "docex_checked_in"


def create_engine_from_settings(settings: Settings) -> Engine:
    """The engine for ``settings.database_url``."""
    return create_engine_from_url(settings.database_url)


def create_engine_from_url(
    url: str | URL, *, ping_after_idle: float = PING_AFTER_IDLE_SECONDS, **kwargs: Any
) -> Engine:
    """An engine for SQLite or PostgreSQL, configured the way docex relies on.

    SQLite gets foreign keys enforced and write-ahead logging (readers do not block the
    writer); its parent folder is created. PostgreSQL goes through psycopg 3 and pings a
    pooled connection before use only when it has been idle for ``ping_after_idle``
    seconds (:func:`ping_idle_connections`), so a database restart costs one failed ping
    rather than one failed request, and a busy pool makes no ping per request.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            **kwargs,
        )
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # The API runs blocking handlers on a thread pool of up to 40 threads; a pool as
        # large as the usual concurrency avoids opening (and forking a PostgreSQL backend
        # for) a new connection per request under load.
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 20)
        engine = create_engine(parsed, **kwargs)
        ping_idle_connections(engine, after_seconds=ping_after_idle)
        return engine
    raise DatabaseError(f"unsupported database {backend!r}: use sqlite or postgresql")


def ping_idle_connections(engine: Engine, *, after_seconds: float) -> None:
    """Ping a pooled connection on checkout if it has been idle ``after_seconds`` or more.

    A dead one is replaced before the caller sees it: raising ``DisconnectionError`` in a
    checkout listener makes the pool discard the connection and hand out another.
    """

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in = record.info.pop(_CHECKED_IN, None)
        if checked_in is None or time.monotonic() - checked_in < after_seconds:
            return  # new, or back from a request moments ago
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            # The ping began a transaction; the connection is handed out as the pool
            # keeps it, outside one (a session may yet set it to autocommit, which the
            # driver refuses inside a transaction).
            dbapi_connection.rollback()
        except Exception as exc:
            # Whatever the driver raises for a dead socket; the pool takes a new connection.
            raise DisconnectionError(f"stale pooled connection: {exc}") from exc

    event.listen(engine, "checkin", checkin)
    event.listen(engine, "checkout", checkout)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # Off by default in SQLite, for backward compatibility with its 2001 self.
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        # With WAL, NORMAL loses at most the last commits on power loss, never integrity.
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def session_factory(engine: Engine, *, audit_chains: int | None = None) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit.

    ``audit_chains`` is the number of audit chains (``DOCEX_AUDIT_CHAINS``) their audit
    entries are spread over; ``None``: :data:`docex.db.audit.DEFAULT_AUDIT_CHAINS`.
    """
    from docex.db.audit import CHAINS_INFO, DEFAULT_AUDIT_CHAINS

    chains = DEFAULT_AUDIT_CHAINS if audit_chains is None else audit_chains
    return sessionmaker(engine, expire_on_commit=False, info={CHAINS_INFO: chains})


_AUTOCOMMIT: weakref.WeakKeyDictionary[sessionmaker[Session], sessionmaker[Session]] = (
    weakref.WeakKeyDictionary()
)
_AUTOCOMMIT_LOCK = threading.Lock()


def autocommit_sessions(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions on the engine (and the pool) of ``sessions``, whose statements each commit
    on their own, with the same configuration otherwise.

    For a read that is a single statement, or a write that is (the token check and its
    occasional last-use update): with no transaction around it, the driver sends no
    ``BEGIN`` before it and no ``COMMIT`` after, two round trips fewer than a unit of
    work. Never for audit entries, which are chained at a transaction's commit. Made
    once per factory and kept as long as the factory is.
    """
    made = _AUTOCOMMIT.get(sessions)
    if made is not None:
        return made
    with _AUTOCOMMIT_LOCK:
        made = _AUTOCOMMIT.get(sessions)
        if made is None:
            engine = sessions.kw["bind"]
            made = sessionmaker(
                engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=sessions.kw.get("expire_on_commit", True),
                info=dict(sessions.kw.get("info") or {}),
            )
            _AUTOCOMMIT[sessions] = made
    return made


@contextmanager
def autocommit_connection(sessions: sessionmaker[Session]) -> Iterator[Connection]:
    """A Core connection from the pool of ``sessions``, each statement committing on its
    own (as :func:`autocommit_sessions`), with SQLAlchemy errors translated as in
    :func:`unit_of_work`.

    For a check that reads a row or two and keeps no object (the API's token check on
    every request): no session, no identity map, no mapped objects to build and discard.
    """
    engine: Engine = autocommit_sessions(sessions).kw["bind"]
    try:
        with engine.connect() as connection:
            yield connection
    except SQLAlchemyError as exc:
        raise translate_db_error(exc) from exc


# SQLite reports both "the file is busy" and "no such table" as OperationalError; only
# the first kind goes away by retrying.
_SQLITE_TRANSIENT = ("locked", "busy", "disk i/o", "unable to open")


def _is_transient(exc: SQLAlchemyError) -> bool:
    if isinstance(exc, DisconnectionError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        if isinstance(exc.orig, sqlite3.Error):
            message = str(exc.orig).lower()
            return any(marker in message for marker in _SQLITE_TRANSIENT)
        # psycopg's OperationalError: connection lost, server shutting down, serialization
        # failure, deadlock; all worth retrying.
        return True
    return False


def translate_db_error(exc: SQLAlchemyError) -> DatabaseError:
    """Our error for a SQLAlchemy one: "unavailable" if retrying later may help.

    The driver's message is cut to its first line: PostgreSQL puts the offending row's
    values (an RNOKPP, a requisition number) on the lines after it (``DETAIL:``, ``LINE
    2:``), which must reach neither a client nor a log, and a CLI error is one line.
    """
    detail = str(getattr(exc, "orig", None) or exc).strip().partition("\n")[0]
    if _is_transient(exc):
        return DatabaseUnavailableError(f"database unavailable: {detail}")
    return DatabaseError(f"database error: {detail}")


@contextmanager
def unit_of_work(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed if the block succeeds, rolled back if it raises.

    SQLAlchemy errors, including a failed commit, leave as ``DatabaseError`` or
    ``DatabaseUnavailableError``; our own errors pass through after the rollback.
    """
    session = sessions()
    try:
        yield session
        session.commit()
    except BaseException as exc:
        # With the server gone the rollback fails too; the first error is the one to report.
        with suppress(SQLAlchemyError):
            session.rollback()
        if isinstance(exc, SQLAlchemyError):
            raise translate_db_error(exc) from exc
        raise
    finally:
        with suppress(SQLAlchemyError):
            session.close()


def flush_or_conflict(session: Session, message: str) -> None:
    """Flush pending changes, turning a unique or foreign-key violation into ``ConflictError``.

    The services check for duplicates first; this catches the race where another
    transaction inserts the same row in between. The transaction is unusable afterwards,
    which is fine: the caller's unit of work rolls it back.
    """
    try:
        session.flush()
    except IntegrityError as exc:
        raise ConflictError(message) from exc
