"""Registering and deactivating facilities, each one audited, and looking the registry up.

Each function is one unit of work on ``sessions``; what it changes is recorded in the audit
log in the same transaction, so an entry exists if and only if the change was committed. A
refused change (a duplicate or malformed code, an unknown facility) is recorded as refused.

Looking the registry up (:func:`page_facilities`, :func:`find_facility`) is not recorded:
a facility is a legal entity whose code, name and status are public, and the API request
that asks is itself recorded (``token.use``), as for the other registry reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.clock import utcnow
from docex.db.engine import unit_of_work
from docex.db.pagination import CodeKeyset, PageRequest, cut_page, keyset_select
from docex.db.registry import Facility
from docex.domain import FacilityStatus
from docex.registry import facilities
from docex.registry.identifiers import check_edrpou
from docex.registry.records import FacilityRecord
from docex.services.admin_audit import AdminActor, audited_refusals, record_change


def add_facility(
    *, sessions: sessionmaker[Session], actor: AdminActor, edrpou: str, name: str
) -> FacilityRecord:
    """Register an active facility, recorded as ``facility.add``.

    ``ConflictError`` if the EDRPOU is already registered, ``InputError`` for a malformed
    code or name; nothing is written then but the refused ``facility.add``.
    """
    with (
        audited_refusals(
            sessions,
            actor=actor,
            action=actions.FACILITY_ADD,
            target_type=actions.FACILITY,
            details={"edrpou": edrpou[:32]},
        ),
        unit_of_work(sessions) as session,
    ):
        return add_facility_in(session, actor=actor, edrpou=edrpou, name=name)


def add_facility_in(
    session: Session, *, actor: AdminActor, edrpou: str, name: str
) -> FacilityRecord:
    """:func:`add_facility` inside the caller's unit of work (demo seeding adds several)."""
    facility = facilities.add_facility(session, edrpou=edrpou, name=name)
    record_change(
        session,
        actor=actor,
        action=actions.FACILITY_ADD,
        target_type=actions.FACILITY,
        target_id=str(facility.id),
        # A facility is a legal entity: its registry code and name are public.
        details={"edrpou": facility.edrpou, "name": facility.name},
    )
    return facility


def list_facilities(
    *, sessions: sessionmaker[Session], include_inactive: bool = False
) -> list[FacilityRecord]:
    """Registered facilities by EDRPOU; active ones only unless ``include_inactive``."""
    with unit_of_work(sessions) as session:
        return facilities.list_facilities(session, include_inactive=include_inactive)


def deactivate_facility(
    *, sessions: sessionmaker[Session], actor: AdminActor, edrpou: str
) -> FacilityRecord:
    """Stop a facility from using the exchange, recorded as ``facility.deactivate``.

    Deactivating an inactive facility changes nothing and records nothing;
    ``NotFoundError`` if no facility has this EDRPOU, recorded as refused.
    """
    with (
        audited_refusals(
            sessions,
            actor=actor,
            action=actions.FACILITY_DEACTIVATE,
            target_type=actions.FACILITY,
            details={"edrpou": edrpou[:32]},
        ),
        unit_of_work(sessions) as session,
    ):
        now = utcnow()
        found = facilities.get_facility_by_edrpou(session, edrpou=edrpou)
        facility = facilities.deactivate_facility(session, facility_id=found.id, now=now)
        # A facility deactivated earlier keeps that time: then this call changed nothing.
        if facility.deactivated_at == now:
            record_change(
                session,
                actor=actor,
                action=actions.FACILITY_DEACTIVATE,
                target_type=actions.FACILITY,
                target_id=str(facility.id),
                details={"edrpou": facility.edrpou},
            )
        return facility


MAX_PAGE_SIZE = 500
"""The largest page of :func:`page_facilities`."""


@dataclass(frozen=True)
class FacilityPage:
    """One page of the registry, by EDRPOU, and the cursor for the next, if any."""

    facilities: list[FacilityRecord]
    next_cursor: str | None


def page_facilities(
    *,
    sessions: sessionmaker[Session],
    edrpou: str | None = None,
    status: FacilityStatus | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> FacilityPage:
    """Registered facilities ordered by EDRPOU, active and inactive, a page at a time.

    ``edrpou`` and ``status`` narrow the page to the facilities matching both; the cursor
    is opaque and names no internal id.
    """
    page = PageRequest(cursor=cursor, limit=limit).bounded(MAX_PAGE_SIZE)
    by_code = CodeKeyset(Facility.edrpou)
    query = select(Facility)
    if edrpou is not None:
        query = query.where(Facility.edrpou == check_edrpou(edrpou))
    if status is not None:
        query = query.where(Facility.status == status)
    with unit_of_work(sessions) as session:
        rows = [
            FacilityRecord.of(row) for row in session.scalars(keyset_select(query, by_code, page))
        ]
    found, next_cursor = cut_page(rows, page, lambda f: CodeKeyset.cursor(f.edrpou))
    return FacilityPage(facilities=found, next_cursor=next_cursor)


def find_facility(*, sessions: sessionmaker[Session], edrpou: str) -> FacilityRecord:
    """The facility with this EDRPOU, active or not; ``NotFoundError`` if none."""
    with unit_of_work(sessions) as session:
        return facilities.get_facility_by_edrpou(session, edrpou=edrpou)
