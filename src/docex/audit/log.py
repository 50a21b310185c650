"""Appending to the audit log: :func:`record`, the only code that writes audit entries.

An entry says who acted (:class:`Actor`), what they did (``action``, and the
``target_type``/``target_id`` it concerned), when, and how it ended (``outcome``), with a
few ``details``. Each entry is chained to the one before it; the recipe is in
:mod:`docex.audit.chain`.

Record in the same session as the change the entry describes: the entry then commits or
rolls back with it, so a submission that failed to commit leaves no "submitted" entry.

The log is several chains (:mod:`docex.audit.shards`): an entry joins the chain its
actor's shard key picks, among the ``N`` chains the session factory was configured with
(``Session.info[CHAINS_INFO]``, set by :func:`docex.db.engine.session_factory`; default
:data:`~docex.audit.shards.DEFAULT_AUDIT_CHAINS`). The first append records ``N`` in the
database; a session configured with another ``N`` is refused (``SettingsError``).

Entries are chained when their transaction commits, not when they are recorded: a
chain's append lock serialises every writer to that chain, so it is held for as short a
time as possible. Just before the commit, the transaction's pending entries (less any
recorded in a savepoint that was rolled back) are appended in one step: on PostgreSQL one
call of the ``docex_audit_append`` function (migration ``0008``), which takes the lock of
each chain concerned, reads their heads and inserts the entries; the commit follows at
once and releases the locks. Until then an entry returned by :func:`record` has no
``id``, ``chain``, ``prev_hash`` or ``hash``; they are set on it when its transaction
commits.

The commit-time hooks doing this are attached to the session factory (the
``sessionmaker``) a session comes from, by the first :func:`record` in one of its
sessions: sessions of that factory then chain their entries, while sessions of other
factories, and of other code in the process, are left alone.

Entries are never updated or deleted by docex; the database refuses it as well (triggers
installed by migration ``0003``).
"""

from __future__ import annotations

import json
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import psycopg
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, SessionTransaction

from docex.audit.chain import (
    ENTRY_FIELDS,
    MAX_DETAILS_BYTES,
    canonical_json,
    check_details,
    format_time,
    hashed_fields,
)
from docex.audit.chain import entry_hash as compute_hash
from docex.audit.shards import (
    AUDIT_LOCK_BASE,
    CHAINS_INFO,
    DEFAULT_AUDIT_CHAINS,
    chain_for,
    chain_genesis,
    check_chain_count,
    shard_key,
)
from docex.clock import utcnow
from docex.db.audit import AuditChainConfig, AuditEntry
from docex.domain import ActorKind, Outcome
from docex.errors import SettingsError
from docex.registry.records import Principal

# The SQLSTATE docex_audit_append raises when asked for another number of chains.
_CHAINS_MISMATCH = "DXA01"


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
    """Add an entry to the audit log in ``session``'s transaction and return it.

    The entry is chained and written when the transaction commits (see the module
    docstring). ``details`` must be small (a few kilobytes at most) and hold no
    floating-point numbers; anything else is a programming error (``TypeError``/
    ``ValueError``), raised here rather than at commit.
    """
    outcome = Outcome(outcome)
    details = dict(details or {})
    check_details(details)
    if len(canonical_json(details)) > MAX_DETAILS_BYTES:
        raise ValueError(f"audit details of {action!r} exceed {MAX_DETAILS_BYTES} bytes")
    created_at = now or utcnow()
    format_time(created_at)  # a naive datetime is refused now, not at commit
    entry = AuditEntry(
        created_at=created_at,
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
    _attach_hooks(session)
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        transaction = session.begin()
    pending: list[tuple[SessionTransaction, AuditEntry]] = session.info.setdefault(_PENDING, [])
    pending.append((transaction, entry))
    return entry


_PENDING = "docex.audit.pending"

_ATTACHING = threading.Lock()
# Kept here rather than asked of ``event.contains``, which identifies a target by its
# id(): a factory class garbage-collected after a test can leave its id to a new one.
_HOOKED: weakref.WeakSet[type[Session]] = weakref.WeakSet()


def _attach_hooks(session: Session) -> None:
    """Make the factory that built ``session`` chain audit entries when its sessions commit.

    ``sessionmaker`` gives each factory a ``Session`` subclass of its own, so the hooks
    go on that class: every session of the factory has them, no other session does, and
    a session costs nothing more once its factory has them. A bare ``Session`` has no
    factory of its own; hooking it would hook every session in the process.
    """
    factory_class = type(session)
    if factory_class is Session:
        raise TypeError("record audit entries in a session of a sessionmaker, not a bare Session")
    if factory_class in _HOOKED:
        return
    with _ATTACHING:
        # Checked again under the lock: attached twice, the entries would be appended twice.
        if factory_class in _HOOKED:
            return
        event.listen(factory_class, "before_commit", _append_pending)
        event.listen(factory_class, "after_soft_rollback", _forget_rolled_back)
        event.listen(factory_class, "after_transaction_end", _forget_pending)
        _HOOKED.add(factory_class)


def _append_pending(session: Session) -> None:
    """Append the transaction's pending entries, last thing before its commit."""
    if session.in_nested_transaction():
        return  # a savepoint released: its entries wait for the transaction's commit
    pending: list[tuple[SessionTransaction, AuditEntry]] = session.info.pop(_PENDING, [])
    entries = [entry for _, entry in pending]
    if not entries:
        return
    # Whatever else the transaction writes goes first, so that the append lock is taken
    # by the last statement before the commit.
    session.flush()
    chains = configured_chains(session)
    for entry in entries:
        entry.chain = chain_for(
            shard_key(
                actor_kind=entry.actor_kind,
                facility_id=entry.actor_facility_id,
                token_id=entry.actor_token_id,
            ),
            chains,
        )
    if session.get_bind().dialect.name == "postgresql":
        _append_postgresql(session, entries, chains)
    else:
        _append_in_python(session, entries, chains)


def configured_chains(session: Session) -> int:
    """The number of chains ``session``'s factory was configured with."""
    return check_chain_count(int(session.info.get(CHAINS_INFO, DEFAULT_AUDIT_CHAINS)))


def _refuse_chains(stored: int, chains: int) -> SettingsError:
    return SettingsError(
        f"the audit log has {stored} chains but DOCEX_AUDIT_CHAINS is {chains}: the number "
        "is fixed by the first entry, because it decides which chain an entry joins"
    )


def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """Drop the entries recorded in a transaction or savepoint that was rolled back."""
    pending: list[tuple[SessionTransaction, AuditEntry]] = session.info.get(_PENDING, [])
    pending[:] = [
        (transaction, entry)
        for transaction, entry in pending
        if not _within(transaction, previous_transaction)
    ]


def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    """Nothing stays pending past the end of the transaction (committed or not)."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def _append_postgresql(session: Session, entries: list[AuditEntry], chains: int) -> None:
    """Lock, read the heads, chain and insert in one round trip; the commit follows.

    ``docex_audit_append`` computes each hash as :func:`docex.audit.chain.entry_hash` does,
    from the canonical JSON made here, and inserts the columns given alongside it.
    """
    # The columns sent are the very fields hashed: what is stored is what was chained.
    rows = [hashed_fields(entry_fields(entry)) for entry in entries]
    hashed = [canonical_json(row) for row in rows]
    # The call and the COMMIT go to the server together (a psycopg pipeline), so the
    # lock is released as soon as the server has run both, however long this thread
    # then waits for the GIL. SQLAlchemy's own commit that follows finds nothing to do.
    # This assumes the session owns its transaction (bound to an engine, as every docex
    # session is), not one joined to a transaction its caller began on a connection.
    connection = cast("psycopg.Connection[Any]", session.connection().connection.dbapi_connection)
    entry_chains = [entry.chain for entry in entries]
    try:
        with connection.pipeline(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT entry_id, entry_prev_hash, entry_hash"
                " FROM docex_audit_append(%s, %s, %s::integer[], %s::jsonb, %s)",
                (AUDIT_LOCK_BASE, chains, entry_chains, json.dumps(rows), hashed),
                prepare=True,
            )
            connection.commit()
            chained = cursor.fetchall()
    except psycopg.Error as exc:
        if exc.sqlstate != _CHAINS_MISMATCH:
            raise
        connection.rollback()
        stored = session.scalar(select(AuditChainConfig.chains)) or 0
        raise _refuse_chains(stored, chains) from None
    if len(chained) != len(entries):
        raise RuntimeError(f"the audit log appended {len(chained)} of {len(entries)} entries")
    for entry, (entry_id, prev_hash, hash_) in zip(entries, chained, strict=True):
        entry.id, entry.prev_hash, entry.hash = entry_id, prev_hash, hash_


def _append_in_python(session: Session, entries: list[AuditEntry], chains: int) -> None:
    """SQLite: take the database's write lock, then chain and insert here."""
    # One writer at a time is SQLite's own rule; a write statement that changes nothing
    # takes that lock now (waiting for the busy timeout if another connection holds it),
    # before the last hash is read, just as ``BEGIN IMMEDIATE`` would. It matches no
    # row, so the append-only triggers do not fire.
    session.execute(text("UPDATE audit_entries SET id = id WHERE 0"))
    stored = session.scalar(select(AuditChainConfig.chains))
    if stored is None:
        session.add(AuditChainConfig(id=1, chains=chains))
    elif stored != chains:
        raise _refuse_chains(stored, chains)
    heads: dict[int, str] = {}
    for entry in entries:
        if entry.chain not in heads:
            head = session.scalar(
                select(AuditEntry.hash)
                .where(AuditEntry.chain == entry.chain)
                .order_by(AuditEntry.id.desc())
                .limit(1)
            )
            heads[entry.chain] = head or chain_genesis(entry.chain)
        entry.prev_hash = heads[entry.chain]
        entry.hash = heads[entry.chain] = compute_hash(entry.prev_hash, entry_fields(entry))
    session.add_all(entries)
    session.flush()
    for entry in entries:
        session.expunge(entry)


def entry_fields(entry: AuditEntry) -> dict[str, Any]:
    """Every column of ``entry`` by name, ``created_at`` still a datetime."""
    return {name: getattr(entry, name) for name in ENTRY_FIELDS}
