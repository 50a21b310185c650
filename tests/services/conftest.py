"""The use cases called directly, on a migrated SQLite database and a local object store.

The use cases are the same code on either deployment shape; the registry and audit tests
already run on PostgreSQL too, so these run on the embedded shape only.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from docex.db.audit_models import AuditEntry
from docex.db.engine import unit_of_work
from docex.registry.tokens import TokenPolicy

POLICY = TokenPolicy(pepper=b"p" * 32, touch_interval=timedelta(minutes=1))


@pytest.fixture
def backend_name() -> str:
    """Only the embedded shape (see the module docstring)."""
    return "sqlite-local"


def audit_entries(sessions: sessionmaker[Session], action: str | None = None) -> list[AuditEntry]:
    """The audit log, oldest first; only ``action``'s entries if given."""
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    with unit_of_work(sessions) as session:
        rows = list(session.scalars(query))
        session.expunge_all()
    return rows
