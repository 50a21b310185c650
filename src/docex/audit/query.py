"""Reading the audit log a page at a time, filtered, for auditors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from docex.db.audit import AuditEntry
from docex.db.pagination import IdKeyset, PageRequest, cut_page, keyset_select
from docex.db.registry import Facility
from docex.domain import Outcome

MAX_PAGE_SIZE = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditFilter:
    """Which entries to return; every given criterion must hold."""

    action: str | None = None
    """An action (``document.read``), or a family of them ending in ``.*`` (``webhook.*``)."""
    actor_facility_edrpou: str | None = None
    """The acting facility, by EDRPOU (entries keep its row id, which clients never see)."""
    actor_token_id: int | None = None
    target_type: str | None = None
    target_id: str | None = None
    outcome: Outcome | None = None
    since: datetime | None = None
    """Entries created at or after this moment."""
    until: datetime | None = None
    """Entries created before this moment."""


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of entries, in chain order, and the cursor for the next, if any."""

    entries: list[AuditEntry]
    next_cursor: str | None


def list_entries(
    session: Session,
    *,
    where: AuditFilter,
    cursor: str | None = None,
    limit: int = 100,
) -> AuditPage:
    """Entries matching ``where``, oldest first; ``cursor`` continues a previous page.

    The cursor is the id of the last entry returned, so pages stay stable while the log
    grows.
    """
    page = PageRequest(cursor=cursor, limit=limit).bounded(MAX_PAGE_SIZE)
    query = select(AuditEntry)
    if where.action is not None:
        if where.action.endswith(".*"):
            prefix = where.action[:-1]
            query = query.where(AuditEntry.action.startswith(prefix, autoescape=True))
        else:
            query = query.where(AuditEntry.action == where.action)
    if where.actor_facility_edrpou is not None:
        # An EDRPOU nobody registered matches nothing, like any other unmatched criterion.
        acting = select(Facility.id).where(Facility.edrpou == where.actor_facility_edrpou)
        query = query.where(AuditEntry.actor_facility_id.in_(acting.scalar_subquery()))
    if where.actor_token_id is not None:
        query = query.where(AuditEntry.actor_token_id == where.actor_token_id)
    if where.target_type is not None:
        query = query.where(AuditEntry.target_type == where.target_type)
    if where.target_id is not None:
        query = query.where(AuditEntry.target_id == where.target_id)
    if where.outcome is not None:
        query = query.where(AuditEntry.outcome == where.outcome)
    if where.since is not None:
        query = query.where(AuditEntry.created_at >= where.since)
    if where.until is not None:
        query = query.where(AuditEntry.created_at < where.until)
    fetched = list(session.scalars(keyset_select(query, IdKeyset(AuditEntry.id), page)))
    return AuditPage(*cut_page(fetched, page, lambda row: IdKeyset.cursor(row.id)))
