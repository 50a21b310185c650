"""Referrals after issue: take, release, read with history, list, expire.

Issue, completion, recall and cancellation come with signed documents and go through the
submission gate (see :mod:`docex.referrals.plan`); the actions here need no signature.
Each returns frozen records (:mod:`docex.services.referral_records`) made inside its unit
of work, facilities named in them by EDRPOU code.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, Select, or_, select
from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.log import Actor
from docex.clock import utcnow
from docex.db.documents import Document
from docex.db.engine import unit_of_work
from docex.db.locks import ROW_LOCK, locking
from docex.db.pagination import PageRequest, TimeIdKeyset, cut_page, keyset_select
from docex.db.referrals import Referral, ReferralTransition
from docex.db.registry import Facility
from docex.domain import ReferralStatus
from docex.errors import InputError, NotFoundError, PermissionDeniedError, TransitionError
from docex.referrals.lifecycle import Action, is_expired, next_status
from docex.referrals.requisition import normalise
from docex.registry.identifiers import check_edrpou
from docex.registry.records import Principal
from docex.services import routing_state
from docex.services.admin_audit import audited_refusals
from docex.services.events import Events
from docex.services.referral_records import (
    TRANSITION_WITH_FACILITY,
    WITH_FACILITIES,
    ReferralPage,
    ReferralRecord,
    ReferralView,
    TransitionRecord,
)

MAX_PAGE_SIZE = 200
ROLES = ("issued", "performing")
"""The ``role`` a facility may list its referrals by."""

_ORDER = TimeIdKeyset(Referral.created_at, Referral.id)


def _facility(principal: Principal) -> int:
    if principal.facility_id is None:
        raise PermissionDeniedError("auditors read referrals; only facilities act on them")
    return principal.facility_id


def _visible(query_facility: int | None) -> Select[Referral]:
    query = select(Referral)
    if query_facility is None:
        return query
    return query.where(
        or_(
            Referral.issuer_facility_id == query_facility,
            Referral.performer_facility_id == query_facility,
            Referral.taken_by_facility_id == query_facility,
        )
    )


def _refusal_audited(
    sessions: sessionmaker[Session],
    principal: Principal,
    action: Action,
    referral_id: uuid.UUID | None,
) -> AbstractContextManager[None]:
    """A refused take or release recorded as a refused ``referral.transition``; the
    requisition number a take may present is a bearer secret and stays out of it."""
    return audited_refusals(
        sessions,
        actor=Actor.from_principal(principal),
        action=actions.REFERRAL_TRANSITION,
        target_type=actions.REFERRAL,
        target_id=None if referral_id is None else str(referral_id),
        details={"transition": action.value},
    )


def _scope(principal: Principal) -> int | None:
    return None if principal.is_auditor else principal.facility_id


def take(
    *,
    sessions: sessionmaker[Session],
    events: Events,
    principal: Principal,
    referral_id: uuid.UUID | None = None,
    requisition_number: str | None = None,
    patient_ref: str | None = None,
    now: datetime | None = None,
) -> ReferralView:
    """Start work on a referral: the facility it is addressed to, or — for an unaddressed
    referral — any facility that presents its requisition number and patient reference."""
    moment = now or utcnow()
    with (
        _refusal_audited(sessions, principal, Action.TAKE, referral_id),
        unit_of_work(sessions) as session,
    ):
        facility_id = _facility(principal)
        referral = _for_taking(session, facility_id, referral_id, requisition_number, patient_ref)
        if referral.status is ReferralStatus.ACTIVE and is_expired(referral.valid_until, moment):
            raise TransitionError(f"the referral expired at {referral.valid_until.isoformat()}")
        routing_state.change(
            session,
            referral=referral,
            action=Action.TAKE,
            principal=principal,
            reason="taken by the performer",
            now=moment,
            events=events,
        )
        document = session.get(Document, referral.document_id)
        if document is not None:
            # The performer needs the signed referral itself: route it there.
            routing_state.deliver(
                session,
                document=document,
                facility_id=facility_id,
                now=moment,
                events=events,
            )
        return _view(session, referral)


def release(
    *,
    sessions: sessionmaker[Session],
    events: Events,
    principal: Principal,
    referral_id: uuid.UUID,
    now: datetime | None = None,
) -> ReferralView:
    """Give a referral back (in progress → active); only the facility working on it may."""
    with (
        _refusal_audited(sessions, principal, Action.RELEASE, referral_id),
        unit_of_work(sessions) as session,
    ):
        facility_id = _facility(principal)
        referral = _locked(session, referral_id, scope=facility_id)
        next_status(Action.RELEASE, referral.status)  # the status reason comes first
        if referral.taken_by_facility_id != facility_id:
            raise TransitionError("only the facility working on the referral may release it")
        routing_state.change(
            session,
            referral=referral,
            action=Action.RELEASE,
            principal=principal,
            reason="released by the performer",
            now=now or utcnow(),
            events=events,
        )
        return _view(session, referral)


def get_referral(
    *, sessions: sessionmaker[Session], principal: Principal, referral_id: uuid.UUID
) -> ReferralView:
    """A referral with its history, if the principal is a party to it (or an auditor)."""
    query = _visible(_scope(principal)).where(Referral.id == referral_id).options(*WITH_FACILITIES)
    with unit_of_work(sessions) as session:
        referral = session.scalar(query)
        if referral is None:
            raise NotFoundError(f"no referral {referral_id}")
        return _view(session, referral)


def list_referrals(
    *,
    sessions: sessionmaker[Session],
    principal: Principal,
    status: ReferralStatus | None = None,
    role: str | None = None,
    issuer_edrpou: str | None = None,
    performer_edrpou: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> ReferralPage:
    """Referrals the principal is a party to (auditors: all), oldest first, a page at a time.

    ``role`` narrows a facility's referrals to those it ``issued`` or is ``performing``;
    ``issuer_edrpou`` to those a facility issued, ``performer_edrpou`` to those addressed
    to or taken by a facility. An EDRPOU no facility has matches nothing.
    """
    if role is not None and role not in ROLES:
        raise InputError("role must be issued or performing")
    page = PageRequest(cursor=cursor, limit=limit).bounded(MAX_PAGE_SIZE)
    query = _visible(_scope(principal))
    facility_id = principal.facility_id
    if role == "issued" and facility_id is not None:
        query = query.where(Referral.issuer_facility_id == facility_id)
    elif role == "performing" and facility_id is not None:
        query = query.where(_performed_by(facility_id))
    if issuer_edrpou is not None:
        query = query.where(Referral.issuer_facility_id == _facility_id_of(issuer_edrpou))
    if performer_edrpou is not None:
        query = query.where(_performed_by(_facility_id_of(performer_edrpou)))
    if status is not None:
        query = query.where(Referral.status == status)
    query = keyset_select(query, _ORDER, page).options(*WITH_FACILITIES)
    with unit_of_work(sessions) as session:
        fetched = [ReferralRecord.of(row) for row in session.scalars(query)]
    items, next_cursor = cut_page(
        fetched, page, lambda record: TimeIdKeyset.cursor(record.created_at, record.id)
    )
    return ReferralPage(items=tuple(items), next_cursor=next_cursor)


def _performed_by(facility_id: int | ScalarSelect[int]) -> ColumnElement[bool]:
    return or_(
        Referral.performer_facility_id == facility_id,
        Referral.taken_by_facility_id == facility_id,
    )


def _facility_id_of(edrpou: str) -> ScalarSelect[int]:
    # A subquery, not a lookup first: an unknown code then simply matches no referral.
    return select(Facility.id).where(Facility.edrpou == check_edrpou(edrpou)).scalar_subquery()


def expire_referrals(
    *, sessions: sessionmaker[Session], events: Events, now: datetime | None = None
) -> tuple[ReferralRecord, ...]:
    """Recall every active referral whose validity is over; returns them as recalled.

    Each recall goes through ``events`` (audit entry, webhook event) in the same unit of
    work, as a recall by its issuer does.
    """
    moment = now or utcnow()
    with unit_of_work(sessions) as session:
        due = list(
            session.scalars(
                locking(
                    select(Referral).where(
                        Referral.status == ReferralStatus.ACTIVE, Referral.valid_until < moment
                    ),
                    skip_locked=True,
                )
            )
        )
        for referral in due:
            routing_state.change(
                session,
                referral=referral,
                action=Action.EXPIRE,
                principal=None,
                reason=f"expired at {referral.valid_until.isoformat()}",
                now=moment,
                events=events,
            )
        if not due:
            return ()
        session.flush()
        # Read back with their facilities joined in: the locking query above cannot join
        # them (PostgreSQL locks no row on the nullable side of an outer join).
        recalled = session.scalars(
            select(Referral)
            .where(Referral.id.in_([referral.id for referral in due]))
            .order_by(Referral.created_at, Referral.id)
            .options(*WITH_FACILITIES)
        )
        return tuple(ReferralRecord.of(referral) for referral in recalled)


def _for_taking(
    session: Session,
    facility_id: int,
    referral_id: uuid.UUID | None,
    requisition_number: str | None,
    patient_ref: str | None,
) -> Referral:
    if referral_id is not None:
        referral = session.get(Referral, referral_id, with_for_update=ROW_LOCK)
        if referral is None or referral.performer_facility_id != facility_id:
            # Unaddressed referrals are taken by requisition number, never by id: the id
            # alone must not let a facility claim a referral the patient did not bring it.
            raise NotFoundError(f"no referral {referral_id} addressed to this facility")
        return referral
    if requisition_number is None or patient_ref is None:
        raise InputError("give the referral id, or its requisition number and patient reference")
    number = normalise(requisition_number)
    referral = None
    if number is not None:
        referral = session.scalar(
            locking(select(Referral).where(Referral.requisition_number == number))
        )
    # One answer for "no such number", "wrong patient" and "addressed elsewhere", so the
    # endpoint cannot be used to probe numbers.
    unknown = NotFoundError("no referral with that requisition number for that patient")
    if referral is None or referral.patient_ref != patient_ref:
        raise unknown
    if referral.performer_facility_id not in (None, facility_id):
        raise unknown
    return referral


def _locked(session: Session, referral_id: uuid.UUID, *, scope: int) -> Referral:
    referral = session.get(Referral, referral_id, with_for_update=ROW_LOCK)
    if referral is None or scope not in (
        referral.issuer_facility_id,
        referral.performer_facility_id,
        referral.taken_by_facility_id,
    ):
        raise NotFoundError(f"no referral {referral_id}")
    return referral


def _view(session: Session, referral: Referral) -> ReferralView:
    session.flush()
    # View-only relationships do not follow a changed id (taking and releasing change
    # ``taken_by_facility_id``): expired, they are read again from the ids as they are now.
    session.expire(referral, ["issuer", "performer", "taken_by"])
    history = session.scalars(
        select(ReferralTransition)
        .where(ReferralTransition.referral_id == referral.id)
        .order_by(ReferralTransition.id)
        .options(*TRANSITION_WITH_FACILITY)
    )
    return ReferralView(
        referral=ReferralRecord.of(referral),
        history=tuple(TransitionRecord.of(row) for row in history),
    )
