"""The audit log table: one row per thing that happened, chained by hashes.

Rows are only ever inserted (see :mod:`docex.audit.log`); the migration that creates the
table also installs triggers refusing UPDATE and DELETE, so that changing the history
takes deliberately switching them off — and even then :mod:`docex.audit.verify` finds the
changed entry, because every row carries the hash of the one before it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from docex.db.models import Base, _enum

# BIGINT on PostgreSQL (a national exchange logs every request); on SQLite only an
# INTEGER PRIMARY KEY is the autoincrementing rowid, and it is 64-bit there anyway.
AUDIT_ID = BigInteger().with_variant(Integer(), "sqlite")


class ActorKind(StrEnum):
    """Who an audit entry says acted."""

    FACILITY = "facility"
    """A facility's information system, authenticated by one of its tokens."""
    AUDITOR = "auditor"
    """An auditor, authenticated by an auditor token."""
    SYSTEM = "system"
    """docex itself or an operator at the command line (delivery, webhooks, admin)."""
    ANONYMOUS = "anonymous"
    """Nobody authenticated: a refused token, for example."""


class Outcome(StrEnum):
    """How the action ended."""

    OK = "ok"
    REFUSED = "refused"
    """Refused by a rule: a signature that does not verify, a token that is revoked..."""
    ERROR = "error"
    """docex could not complete it (storage or database failure)."""


class AuditEntry(Base):
    """One link of the audit chain. ``id`` is the chain order; see :mod:`docex.audit.chain`."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_target", "target_type", "target_id"),)

    # No foreign keys: the log must accept an entry about anything, including a facility
    # or token id that a refused request merely claimed, and must never block changes to
    # the tables it describes.
    id: Mapped[int] = mapped_column(AUDIT_ID, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    actor_kind: Mapped[ActorKind] = mapped_column(_enum(ActorKind, "audit_actor_kind"))
    actor_facility_id: Mapped[int | None] = mapped_column(index=True)
    actor_token_id: Mapped[int | None]
    actor_employee_rnokpp: Mapped[str | None] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[Outcome] = mapped_column(_enum(Outcome, "audit_outcome"))
    details: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    """Hex SHA-256 ``hash`` of the entry before this one; 64 zeros for the first."""
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    """Hex SHA-256 over ``prev_hash`` and this entry's fields; see :mod:`docex.audit.chain`."""
