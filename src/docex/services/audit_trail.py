"""Auditors reading the audit trail; the reading is itself recorded."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.log import Actor, record
from docex.audit.query import AuditFilter, AuditPage, list_entries
from docex.db.engine import unit_of_work
from docex.domain import Outcome
from docex.errors import PermissionDeniedError
from docex.registry.records import Principal


def read_audit_log(
    *,
    sessions: sessionmaker[Session],
    principal: Principal,
    where: AuditFilter,
    cursor: str | None = None,
    limit: int = 100,
) -> AuditPage:
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
        for entry in page.entries:
            session.expunge(entry)
        record(
            session,
            actor=actor,
            action=actions.AUDIT_READ,
            outcome=Outcome.OK,
            target_type=actions.AUDIT_LOG,
            details={"filters": filters, "cursor": cursor, "returned": len(page.entries)},
        )
    return page
