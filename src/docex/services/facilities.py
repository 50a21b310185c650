"""Registering and deactivating facilities: the operator's use cases, each one audited.

Each function is one unit of work on ``sessions``; what it changes is recorded in the audit
log in the same transaction, so an entry exists if and only if the change was committed.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.log import Actor, record
from docex.clock import utcnow
from docex.db.engine import unit_of_work
from docex.domain import Outcome
from docex.registry import facilities
from docex.registry.records import FacilityRecord


def add_facility(
    *, sessions: sessionmaker[Session], actor: Actor, edrpou: str, name: str
) -> FacilityRecord:
    """Register an active facility, recorded as ``facility.add``.

    ``ConflictError`` if the EDRPOU is already registered, ``InputError`` for a malformed
    code or name; nothing is written then.
    """
    with unit_of_work(sessions) as session:
        return add_facility_in(session, actor=actor, edrpou=edrpou, name=name)


def add_facility_in(session: Session, *, actor: Actor, edrpou: str, name: str) -> FacilityRecord:
    """:func:`add_facility` inside the caller's unit of work (demo seeding adds several)."""
    facility = facilities.add_facility(session, edrpou=edrpou, name=name)
    record(
        session,
        actor=actor,
        action=actions.FACILITY_ADD,
        outcome=Outcome.OK,
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
    *, sessions: sessionmaker[Session], actor: Actor, edrpou: str
) -> FacilityRecord:
    """Stop a facility from using the exchange, recorded as ``facility.deactivate``.

    Deactivating an inactive facility changes nothing and records nothing;
    ``NotFoundError`` if no facility has this EDRPOU.
    """
    with unit_of_work(sessions) as session:
        now = utcnow()
        found = facilities.get_facility_by_edrpou(session, edrpou=edrpou)
        facility = facilities.deactivate_facility(session, facility_id=found.id, now=now)
        # A facility deactivated earlier keeps that time: then this call changed nothing.
        if facility.deactivated_at == now:
            record(
                session,
                actor=actor,
                action=actions.FACILITY_DEACTIVATE,
                outcome=Outcome.OK,
                target_type=actions.FACILITY,
                target_id=str(facility.id),
                details={"edrpou": facility.edrpou},
            )
        return facility
