"""Appending to the audit log: :func:`record`, the only code that writes audit entries.

An entry says who acted (:class:`Actor`), what they did (``action``, and the
``target_type``/``target_id`` it concerned), when, and how it ended (``outcome``), with a
few ``details``. Each entry is chained to the one before it; the recipe is in
:mod:`docex.audit.chain`.

Record in the same session as the change the entry describes: the entry then commits or
rolls back with it, so a submission that failed to commit leaves no "submitted" entry.
Call :func:`record` last in the transaction: it takes the log's append lock, which is held
until the transaction ends (see :func:`_serialise`).

Entries are never updated or deleted by docex; the database refuses it as well (triggers
installed by migration ``0003``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from docex.audit.chain import GENESIS_HASH, MAX_DETAILS_BYTES, canonical_json, check_details
from docex.audit.chain import entry_hash as compute_hash
from docex.db.audit_models import ActorKind, AuditEntry, Outcome
from docex.db.models import utcnow
from docex.registry.records import Principal

# Arbitrary and fixed, distinct from the migration lock: every process appending to the
# log on one PostgreSQL database takes this advisory lock, so appends form one line.
AUDIT_LOCK_KEY = 0x646F636578_A1  # "docex" + audit


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who did something: a facility or auditor token, docex itself, or nobody known."""

    kind: ActorKind
    facility_id: int | None = None
    token_id: int | None = None
    employee_rnokpp: str | None = None
    """The person acting for the facility, e.g. the signer of a submitted document."""

    @classmethod
    def from_principal(cls, principal: Principal, employee_rnokpp: str | None = None) -> Actor:
        """The actor an authenticated request speaks for."""
        return cls(
            kind=ActorKind.AUDITOR if principal.is_auditor else ActorKind.FACILITY,
            facility_id=principal.facility_id,
            token_id=principal.token_id,
            employee_rnokpp=employee_rnokpp,
        )


SYSTEM = Actor(kind=ActorKind.SYSTEM)
"""docex itself, or an operator at the command line."""

ANONYMOUS = Actor(kind=ActorKind.ANONYMOUS)
"""A caller nobody could authenticate."""


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    outcome: Outcome | str,
    target_type: str | None = None,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Append an entry to the audit log in ``session``'s transaction and return it.

    ``details`` must be small (a few kilobytes at most) and hold no floating-point
    numbers; anything else is a programming error (``TypeError``/``ValueError``).
    """
    outcome = Outcome(outcome)
    details = dict(details or {})
    check_details(details)
    if len(canonical_json(details)) > MAX_DETAILS_BYTES:
        raise ValueError(f"audit details of {action!r} exceed {MAX_DETAILS_BYTES} bytes")
    entry = AuditEntry(
        created_at=now or utcnow(),
        actor_kind=actor.kind,
        actor_facility_id=actor.facility_id,
        actor_token_id=actor.token_id,
        actor_employee_rnokpp=actor.employee_rnokpp,
        action=action,
        target_type=target_type,
        target_id=target_id,
        outcome=outcome,
        details=details,
    )
    entry.prev_hash = _chain_head(session)
    entry.hash = compute_hash(entry.prev_hash, entry_fields(entry))
    session.add(entry)
    session.flush()
    session.info[_HEAD] = entry.hash
    return entry


_HEAD = "docex.audit.chain_head"


def _chain_head(session: Session) -> str:
    """The hash the next entry chains to, taking the append lock on first use.

    The lock is held until this transaction ends, so after the first append the head is
    known without asking the database again (a submission appends several entries). It is
    forgotten whenever a transaction or savepoint ends, so a rolled-back entry is never
    chained to.
    """
    head = session.info.get(_HEAD)
    if isinstance(head, str):
        return head
    _serialise(session)
    if not event.contains(session, "after_transaction_end", _forget_head):
        event.listen(session, "after_transaction_end", _forget_head)
    prev_hash = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    return prev_hash or GENESIS_HASH


def _forget_head(session: Session, _transaction: object) -> None:
    session.info.pop(_HEAD, None)


def _serialise(session: Session) -> None:
    """Make this transaction the only one appending until it commits or rolls back.

    Reading the last hash and inserting after it must not interleave with another
    append, or two entries would claim the same predecessor and the chain would fork.

    PostgreSQL: a transaction-scoped advisory lock, released at commit or rollback, after
    the new row is visible to the next holder. Ids come from the sequence while the lock
    is held, so id order is chain order.

    SQLite: one writer at a time is the database's own rule; a write statement that
    changes nothing takes that lock now (waiting for the busy timeout if another
    connection holds it), before the last hash is read, just as ``BEGIN IMMEDIATE``
    would. It matches no row, so the append-only triggers do not fire.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
    elif dialect == "sqlite":
        session.execute(text("UPDATE audit_entries SET id = id WHERE 0"))


def entry_fields(entry: AuditEntry) -> dict[str, Any]:
    """Every column of ``entry`` by name, ``created_at`` still a datetime."""
    return {
        "id": entry.id,
        "created_at": entry.created_at,
        "actor_kind": entry.actor_kind,
        "actor_facility_id": entry.actor_facility_id,
        "actor_token_id": entry.actor_token_id,
        "actor_employee_rnokpp": entry.actor_employee_rnokpp,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "outcome": entry.outcome,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }
