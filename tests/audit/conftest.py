"""Helpers for the audit tests: a few entries of each kind of actor."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from docex.audit.log import ANONYMOUS, SYSTEM, Actor, record
from docex.db.audit import AuditEntry
from docex.db.engine import unit_of_work
from docex.domain import ActorKind, Outcome

FACILITY = Actor(kind=ActorKind.FACILITY, facility_id=7, token_id=3, employee_rnokpp="3012345678")
AUDITOR = Actor(kind=ActorKind.AUDITOR, token_id=4)


def append(sessions: sessionmaker[Session], count: int, *, action: str = "test.event") -> list[int]:
    """Append ``count`` entries, one transaction each, cycling through the actors; their ids."""
    actors = (FACILITY, AUDITOR, SYSTEM, ANONYMOUS)
    ids = []
    for number in range(count):
        with unit_of_work(sessions) as session:
            entry = record(
                session,
                actor=actors[number % len(actors)],
                action=action,
                outcome=Outcome.OK if number % 3 else Outcome.REFUSED,
                target_type="document",
                target_id=f"doc-{number}",
                details={"n": number, "note": "направлення ✓", "nested": {"b": [1, None, True]}},
            )
        ids.append(entry.id)  # chained, and so numbered, when the transaction commits
    return ids


def all_entries(sessions: sessionmaker[Session]) -> list[AuditEntry]:
    with unit_of_work(sessions) as session:
        rows = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        session.expunge_all()
    return rows
