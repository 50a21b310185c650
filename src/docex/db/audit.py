"""The audit log table: one row per thing that happened, chained by hashes.

Rows are only ever inserted (see :mod:`docex.audit.log`); the migration that creates the
table also installs triggers refusing UPDATE and DELETE, so that changing the history
takes deliberately switching them off — and even then :mod:`docex.audit.verify` finds the
changed entry, because every row carries the hash of the one before it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from docex.db.base import BIG_ID, Base, enum_type
from docex.domain import ActorKind, Outcome

DEFAULT_AUDIT_CHAINS = 16
"""Chains in a new log unless ``DOCEX_AUDIT_CHAINS`` says otherwise."""

CHAINS_INFO = "docex.audit.chains"
"""The ``Session.info`` member (set on the session factory) holding the configured number
of chains; read by :mod:`docex.audit.log` when it appends."""


class AuditEntry(Base):
    """One link of an audit chain. Within a ``chain``, ``id`` is the chain order; see
    :mod:`docex.audit.chain` and :mod:`docex.audit.shards`."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_target", "target_type", "target_id"),
        # An append reads its chain's head: the newest id of one chain.
        Index("ix_audit_entries_chain_id", "chain", "id"),
    )

    # No foreign keys: the log must accept an entry about anything, including a facility
    # or token id that a refused request merely claimed, and must never block changes to
    # the tables it describes.
    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    actor_kind: Mapped[ActorKind] = mapped_column(enum_type(ActorKind, "audit_actor_kind"))
    actor_facility_id: Mapped[int | None] = mapped_column(index=True)
    actor_token_id: Mapped[int | None]
    actor_employee_rnokpp: Mapped[str | None] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[Outcome] = mapped_column(enum_type(Outcome, "audit_outcome"))
    details: Mapped[dict[str, Any]]
    chain: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    """Which of the log's chains the entry belongs to (see :mod:`docex.audit.shards`)."""
    prev_hash: Mapped[str] = mapped_column(String(64))
    """Hex SHA-256 ``hash`` of the entry before this one in its chain; the chain's genesis
    hash for its first (64 zeros for chain 0)."""
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    """Hex SHA-256 over ``prev_hash`` and this entry's fields; see :mod:`docex.audit.chain`."""


class AuditChainConfig(Base):
    """How many chains the log has: one row, written by the first append, never changed.

    An entry's chain is a function of this number, so it stays fixed once the log has
    entries (see :mod:`docex.audit.shards`).
    """

    __tablename__ = "audit_chain_config"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("chains >= 1", name="chains_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    chains: Mapped[int]
