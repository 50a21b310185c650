"""Auditors reading the audit trail; the reading is itself recorded."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.log import Actor, record
from docex.audit.query import AuditFilter, list_entries
from docex.db.engine import unit_of_work
from docex.db.registry import Facility
from docex.domain import Outcome
from docex.errors import PermissionDeniedError
from docex.registry.records import Principal
from docex.services.records import AuditEntryRecord


@dataclass(frozen=True, slots=True)
class TrailEntry:
    """An audit entry and the acting facility's EDRPOU."""

    entry: AuditEntryRecord
    actor_facility_edrpou: str | None
    """``None`` when no facility acted, or the entry names a facility id nobody registered
    (a refused request's claim: the log keeps whatever it was told)."""


@dataclass(frozen=True, slots=True)
class TrailPage:
    """One page of the trail, in chain order, and the cursor for the next, if any."""

    entries: list[TrailEntry]
    next_cursor: str | None


def read_audit_log(
    *,
    sessions: sessionmaker[Session],
    principal: Principal,
    where: AuditFilter,
    cursor: str | None = None,
    limit: int = 100,
) -> TrailPage:
    """A page of the audit log for an auditor; ``PermissionDeniedError`` for anyone else.

    Recorded as ``audit.read`` with the filters, in the same transaction; a facility's
    attempt is recorded as refused.
    """
    filters = {
        name: (value.isoformat() if isinstance(value, datetime) else value)
        for name, value in asdict(where).items()
        if value is not None
    }
    actor = Actor.from_principal(principal)
    if not principal.is_auditor:
        with unit_of_work(sessions) as session:
            record(
                session,
                actor=actor,
                action=actions.AUDIT_READ,
                outcome=Outcome.REFUSED,
                target_type=actions.AUDIT_LOG,
                details={"filters": filters, "reason": "forbidden"},
            )
        raise PermissionDeniedError("only auditors read the audit log")
    with unit_of_work(sessions) as session:
        page = list_entries(session, where=where, cursor=cursor, limit=limit)
        # One query for the page's facilities, however many entries name them.
        ids = {e.actor_facility_id for e in page.entries if e.actor_facility_id is not None}
        edrpous: dict[int, str] = {}
        if ids:
            found = select(Facility.id, Facility.edrpou).where(Facility.id.in_(ids))
            edrpous = {row.id: row.edrpou for row in session.execute(found)}
        records = [AuditEntryRecord.of(entry) for entry in page.entries]
        record(
            session,
            actor=actor,
            action=actions.AUDIT_READ,
            outcome=Outcome.OK,
            target_type=actions.AUDIT_LOG,
            details={"filters": filters, "cursor": cursor, "returned": len(page.entries)},
        )
    trail = [
        TrailEntry(
            entry=e,
            actor_facility_edrpou=None
            if e.actor_facility_id is None
            else edrpous.get(e.actor_facility_id),
        )
        for e in records
    ]
    return TrailPage(entries=trail, next_cursor=page.next_cursor)
