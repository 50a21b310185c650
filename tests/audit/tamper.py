"""Editing the audit log the way an intruder with database access would.

The append-only triggers refuse UPDATE and DELETE; these helpers go around them as the
database owner can — on PostgreSQL with ``session_replication_role = replica`` (a
superuser setting that skips triggers, for this transaction only), on SQLite by dropping
the triggers — and then run plain SQL, never the ORM.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text


def tamper(engine: Engine, statement: str, **params: Any) -> int:
    """Run ``statement`` on ``audit_entries`` with the append-only triggers bypassed."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            connection.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_update"))
            connection.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_delete"))
        return connection.execute(text(statement), params).rowcount
