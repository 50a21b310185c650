"""The routing state of submitted documents, read under row locks and written.

:func:`plan` reads the rows a submission concerns and lets :func:`docex.referrals.plan.plan`
decide what the document does; the submission service calls it before storing anything
(so a refused document leaves nothing behind) and again, with row locks, inside the
transaction that records the document, where :func:`apply` writes the plan: the new
referral, its transitions, superseded results, acknowledged and new deliveries, each
announced through :class:`~docex.services.events.Events`. :func:`change` and
:func:`deliver` serve the referral actions of :mod:`docex.services.referrals` as well.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from docex.db.deliveries import Delivery
from docex.db.documents import Document
from docex.db.locks import ROW_LOCK, locking
from docex.db.referrals import Referral, ReferralTransition
from docex.domain import DeliveryStatus, DocumentKind, DocumentStatus, ReferralStatus
from docex.errors import NotFoundError
from docex.referrals import plan as planning
from docex.referrals.lifecycle import Action, default_valid_until, next_status
from docex.referrals.plan import ConcernedRows, Plan, RoutingRequest
from docex.referrals.requisition import new_requisition_number
from docex.registry.records import Principal
from docex.services.events import Events

_Row = TypeVar("_Row", Document, Referral)


def plan(
    session: Session,
    *,
    facility_id: int,
    request: RoutingRequest,
    now: datetime,
    lock: bool = False,
) -> Plan:
    """Check what the document may do and return the plan; raise why it may not.

    With ``lock``, the rows the plan acts on stay locked until the transaction ends, so
    that the plan still holds when :func:`apply` writes it.
    """
    rows = concerned_rows(session, facility_id=facility_id, request=request, lock=lock)
    return planning.plan(facility_id=facility_id, request=request, rows=rows, now=now)


def concerned_rows(
    session: Session, *, facility_id: int, request: RoutingRequest, lock: bool = False
) -> ConcernedRows:
    """Read the stored rows ``request`` acts on; ``NotFoundError`` if it answers nothing known.

    Only what the kind of document needs is read (and locked, with ``lock``), in the
    order the plan looks at it: the answered document, the replaced result and what it
    answered, the referral, the delivery being acknowledged.
    """
    kind = request.kind
    answered = _answered(session, request.answers_document_id, lock=lock)
    replaced = None
    delivered_to: frozenset[int] = frozenset()
    if kind is DocumentKind.EXAMINATION_RESULT and request.replaces_document_id is not None:
        replaced = _get(session, Document, request.replaces_document_id, lock=lock)
        if replaced is not None:
            delivered_to = _delivered_to(session, replaced.id)
            if answered is None and replaced.answers_document_id is not None:
                answered = _get(session, Document, replaced.answers_document_id, lock=lock)
    referral = None
    if (
        kind
        in (
            DocumentKind.EXAMINATION_RESULT,
            DocumentKind.REFERRAL_RECALL,
            DocumentKind.REFERRAL_CANCELLATION,
        )
        and answered is not None
        and answered.kind is DocumentKind.REFERRAL
    ):
        referral = _referral(session, answered.id, lock=lock)
    delivery = None
    if kind is DocumentKind.RECEIPT and answered is not None:
        delivery = _delivery(session, answered.id, facility_id, lock=lock)
    return ConcernedRows(
        answered=answered,
        referral=referral,
        replaced=replaced,
        delivered_to=delivered_to,
        delivery=delivery,
    )


def apply(
    session: Session,
    *,
    plan_: Plan,
    document: Document,
    principal: Principal,
    now: datetime,
    events: Events,
    free_requisition: str | None = None,
) -> Referral | None:
    """Write the plan beside the newly recorded document (same transaction).

    A new referral gets ``free_requisition``, a number this transaction found unused,
    if given; else one is drawn and checked here.
    """
    referral = None
    if plan_.new_referral is not None:
        spec = plan_.new_referral
        referral = Referral(
            id=uuid.uuid4(),
            document_id=document.id,
            requisition_number=free_requisition or _unique_requisition(session),
            issuer_facility_id=document.submitted_by_facility_id,
            performer_facility_id=plan_.performer_facility_id,
            patient_ref=document.patient_ref,
            service_code=spec.service_code,
            service_text=spec.service_text,
            priority=spec.priority,
            # Stored and answered in UTC, as the database gives it back to every later read.
            valid_until=(spec.valid_until or default_valid_until(now)).astimezone(UTC),
            status=ReferralStatus.ACTIVE,
            created_at=now,
            updated_at=now,
        )
        # Written with the document's other rows by the transaction's last flush.
        session.add(referral)
        record_transition(
            session,
            referral=referral,
            from_status=None,
            principal=principal,
            reason="issued",
            document_id=document.id,
            now=now,
            events=events,
        )
    if plan_.referral is not None:
        referral = plan_.referral
        if plan_.action is not None:
            change(
                session,
                referral=referral,
                action=plan_.action,
                principal=principal,
                reason=plan_.reason,
                document_id=document.id,
                now=now,
                events=events,
            )
        if plan_.action is Action.COMPLETE or plan_.supersede is not None:
            referral.result_document_id = document.id
    if plan_.supersede is not None:
        plan_.supersede.status = DocumentStatus.SUPERSEDED
        plan_.supersede.superseded_by_document_id = document.id
        document.replaces_document_id = plan_.supersede.id
    if plan_.acknowledge is not None:
        delivery = plan_.acknowledge
        delivery.status = DeliveryStatus.ACKNOWLEDGED
        delivery.acknowledged_at = now
        delivery.receipt_document_id = document.id
        events.delivery_acknowledged(session, delivery=delivery, principal=principal)
    for facility_id in sorted(plan_.recipients - {document.submitted_by_facility_id}):
        deliver(
            session,
            document=document,
            facility_id=facility_id,
            now=now,
            events=events,
            new_document=True,
        )
    return referral


def change(
    session: Session,
    *,
    referral: Referral,
    action: Action,
    principal: Principal | None,
    reason: str,
    now: datetime,
    events: Events,
    document_id: uuid.UUID | None = None,
) -> None:
    """Move a referral through one lifecycle step and record it."""
    before = referral.status
    referral.status = next_status(action, before)
    referral.updated_at = now
    if action is Action.TAKE and principal is not None:
        referral.taken_by_facility_id = principal.facility_id
    elif action is Action.RELEASE:
        referral.taken_by_facility_id = None
    record_transition(
        session,
        referral=referral,
        from_status=before,
        principal=principal,
        reason=reason,
        document_id=document_id,
        now=now,
        events=events,
    )


def record_transition(
    session: Session,
    *,
    referral: Referral,
    from_status: ReferralStatus | None,
    principal: Principal | None,
    reason: str,
    document_id: uuid.UUID | None,
    now: datetime,
    events: Events,
) -> None:
    """Append to a referral's history and tell the interested facilities."""
    session.add(
        ReferralTransition(
            referral_id=referral.id,
            from_status=from_status.value if from_status else None,
            to_status=referral.status.value,
            actor_facility_id=principal.facility_id if principal else None,
            actor_token_id=principal.token_id if principal else None,
            reason=reason,
            document_id=document_id,
            created_at=now,
        )
    )
    events.referral_changed(
        session, referral=referral, from_status=from_status, principal=principal, reason=reason
    )


def deliver(
    session: Session,
    *,
    document: Document,
    facility_id: int,
    now: datetime,
    events: Events,
    new_document: bool = False,
) -> Delivery:
    """Route ``document`` to a facility (once: a second routing returns the first).

    ``new_document``: the document is being recorded in this transaction, so it has no
    delivery yet to look for, and the row is written by the transaction's next flush
    with the document's other rows.
    """
    if not new_document:
        existing = session.scalar(
            select(Delivery).where(
                Delivery.document_id == document.id, Delivery.facility_id == facility_id
            )
        )
        if existing is not None:
            return existing
    delivery = Delivery(
        id=uuid.uuid4(),
        document_id=document.id,
        facility_id=facility_id,
        status=DeliveryStatus.PENDING,
        created_at=now,
    )
    session.add(delivery)
    if not new_document:
        session.flush()
    events.delivery_created(session, delivery=delivery, document=document)
    return delivery


def _answered(session: Session, document_id: uuid.UUID | None, *, lock: bool) -> Document | None:
    if document_id is None:
        return None
    document = _get(session, Document, document_id, lock=lock)
    if document is None:
        raise NotFoundError(f"no document {document_id}")
    return document


def _referral(session: Session, document_id: uuid.UUID, *, lock: bool) -> Referral | None:
    query = select(Referral).where(Referral.document_id == document_id)
    if lock:
        query = locking(query)
    return session.scalar(query)


def _delivery(
    session: Session, document_id: uuid.UUID, facility_id: int, *, lock: bool
) -> Delivery | None:
    query = select(Delivery).where(
        Delivery.document_id == document_id, Delivery.facility_id == facility_id
    )
    if lock:
        query = locking(query)
    return session.scalar(query)


def _delivered_to(session: Session, document_id: uuid.UUID) -> frozenset[int]:
    return frozenset(
        session.scalars(select(Delivery.facility_id).where(Delivery.document_id == document_id))
    )


def _get(session: Session, model: type[_Row], ident: uuid.UUID, *, lock: bool) -> _Row | None:
    return session.get(model, ident, with_for_update=ROW_LOCK if lock else None)


def _unique_requisition(session: Session) -> str:
    for _ in range(10):
        number = new_requisition_number()
        # Stored numbers only: what the session holds unwritten is flushed once, at the end.
        with session.no_autoflush:
            taken = session.scalar(select(Referral.id).where(Referral.requisition_number == number))
        if taken is None:
            return number
    raise RuntimeError("could not draw an unused requisition number")  # 60 bits: never
