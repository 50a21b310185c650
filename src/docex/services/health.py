"""Readiness: whether the database and the object store answer right now."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from docex.db.engine import unit_of_work
from docex.storage.base import ObjectStore


def check_ready(*, sessions: sessionmaker[Session], store: ObjectStore) -> None:
    """Return if both answer; otherwise raise the ``DatabaseError`` or ``StorageError``
    (or their ``...UnavailableError`` kinds) that says which does not."""
    with unit_of_work(sessions) as session:
        session.execute(text("SELECT 1"))
    store.ensure_ready()
