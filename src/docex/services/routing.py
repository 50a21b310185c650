"""What a submitted document does to the routing state, planned and then applied.

Every signed document that acts on another one goes through the same gate as any other
submission and is routed here by its kind:

- ``referral``: opens a referral (requisition number, validity) and, if addressed, a
  delivery to the performer;
- ``examination_result``: completes the referral it answers (in progress with this
  facility, not expired, same patient) and is routed to the referral's issuer; a standalone
  result goes to the facility it is addressed to; a result may replace an earlier one of the
  same facility, which becomes ``superseded`` (linked both ways, both readable);
- ``referral_recall`` / ``referral_cancellation``: the issuer recalls an active referral, or
  marks an active or completed one entered in error;
- ``receipt``: the recipient's signed acknowledgement of a delivered document;
- ``medical_document``: delivered to the facility it is addressed to.

:func:`plan` makes every check without writing; the submission service calls it before
storing anything (so a refused document leaves nothing behind) and again, with row locks,
inside the transaction that records the document, where :func:`apply` writes the plan.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from docex.db.deliveries import Delivery
from docex.db.documents import Document
from docex.db.referrals import Referral, ReferralTransition
from docex.domain import (
    DeliveryStatus,
    DocumentKind,
    DocumentStatus,
    ReferralPriority,
    ReferralStatus,
)
from docex.errors import InputError, NotFoundError, PermissionDeniedError, TransitionError
from docex.registry.records import Principal
from docex.routing.lifecycle import Action, default_valid_until, is_expired, next_status
from docex.routing.requisition import new_requisition_number
from docex.services.events import Events

_Row = TypeVar("_Row", Document, Referral)


@dataclass(frozen=True, kw_only=True)
class ReferralSpec:
    """The referral-specific metadata of a ``referral`` submission."""

    service_code: str
    service_text: str
    priority: ReferralPriority = ReferralPriority.ROUTINE
    valid_until: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class RoutingRequest:
    """The routing-relevant part of a submission."""

    kind: DocumentKind
    patient_ref: str
    recipient_facility_id: int | None
    answers_document_id: uuid.UUID | None
    replaces_document_id: uuid.UUID | None
    referral: ReferralSpec | None


@dataclass
class Plan:
    """What recording the document will change."""

    new_referral: ReferralSpec | None = None
    performer_facility_id: int | None = None
    referral: Referral | None = None
    action: Action | None = None
    reason: str = ""
    recipients: set[int] = field(default_factory=set)
    supersede: Document | None = None
    acknowledge: Delivery | None = None


def plan(
    session: Session,
    *,
    facility_id: int,
    request: RoutingRequest,
    now: datetime,
    lock: bool = False,
) -> Plan:
    """Check what the document may do and return the plan; raise why it may not."""
    kind = request.kind
    result = Plan()
    answered = _answered(session, request.answers_document_id, lock=lock)
    if kind is DocumentKind.REFERRAL:
        if request.referral is None:
            raise InputError("a referral needs service_code and service_text")
        if answered is not None or request.replaces_document_id is not None:
            raise InputError("a referral cannot answer or replace another document")
        valid_until = request.referral.valid_until
        if valid_until is not None and valid_until <= now:
            raise InputError("valid_until must be in the future")
        result.new_referral = request.referral
        result.performer_facility_id = request.recipient_facility_id
        if request.recipient_facility_id is not None:
            result.recipients.add(request.recipient_facility_id)
        return result
    if request.referral is not None:
        raise InputError("service_code and service_text belong to referrals only")
    if kind is DocumentKind.EXAMINATION_RESULT:
        return _plan_result(session, facility_id, request, answered, result, now, lock)
    if kind in (DocumentKind.REFERRAL_RECALL, DocumentKind.REFERRAL_CANCELLATION):
        referral = _referral_of(session, answered, lock=lock)
        if referral.issuer_facility_id != facility_id:
            raise PermissionDeniedError("only the issuing facility may recall or cancel a referral")
        action = Action.RECALL if kind is DocumentKind.REFERRAL_RECALL else Action.CANCEL
        next_status(action, referral.status)
        result.referral, result.action = referral, action
        result.reason = (
            "recalled by the issuer"
            if action is Action.RECALL
            else ("entered in error, cancelled by the issuer")
        )
        for performer in (referral.performer_facility_id, referral.taken_by_facility_id):
            if performer is not None:
                result.recipients.add(performer)
        return result
    if kind is DocumentKind.RECEIPT:
        if answered is None:
            raise InputError("a receipt must answer the delivered document (answers_document_id)")
        delivery = _delivery(session, answered.id, facility_id, lock=lock)
        if delivery.status is DeliveryStatus.PENDING:
            raise TransitionError("fetch the document before acknowledging it")
        if delivery.status is DeliveryStatus.ACKNOWLEDGED:
            raise TransitionError("the delivery is already acknowledged")
        result.acknowledge = delivery
        result.recipients.add(answered.submitted_by_facility_id)
        return result
    # A medical document, optionally addressed and optionally answering a visible document.
    if request.replaces_document_id is not None:
        raise InputError("only examination results can replace earlier ones")
    if request.recipient_facility_id is not None:
        result.recipients.add(request.recipient_facility_id)
    return result


def _plan_result(
    session: Session,
    facility_id: int,
    request: RoutingRequest,
    answered: Document | None,
    result: Plan,
    now: datetime,
    lock: bool,
) -> Plan:
    replaced = None
    if request.replaces_document_id is not None:
        replaced = _get(session, Document, request.replaces_document_id, lock=lock)
        if (
            replaced is None
            or replaced.kind is not DocumentKind.EXAMINATION_RESULT
            or replaced.submitted_by_facility_id != facility_id
        ):
            raise NotFoundError("no examination result of this facility to replace")
        if replaced.status is DocumentStatus.SUPERSEDED:
            raise TransitionError("that result was already replaced by a later one")
        if replaced.patient_ref != request.patient_ref:
            raise InputError("a replacement must be for the same patient")
        result.supersede = replaced
        result.recipients.update(_delivered_to(session, replaced.id))
        if answered is None and replaced.answers_document_id is not None:
            answered = _get(session, Document, replaced.answers_document_id, lock=lock)
    if answered is None:
        if request.recipient_facility_id is None and replaced is None:
            raise InputError("a standalone examination result must be addressed (recipient_edrpou)")
        if request.recipient_facility_id is not None:
            result.recipients.add(request.recipient_facility_id)
        return result
    referral = _referral_of(session, answered, lock=lock)
    if referral.patient_ref != request.patient_ref:
        raise InputError("the result is for another patient than the referral")
    if replaced is not None:
        if referral.result_document_id != replaced.id:
            raise TransitionError("the replaced result is not the one that completed the referral")
        result.referral = referral
        result.recipients.add(referral.issuer_facility_id)
        return result
    if referral.status is not ReferralStatus.IN_PROGRESS or (
        referral.taken_by_facility_id != facility_id
    ):
        raise TransitionError(
            "a result can answer a referral only while it is in progress with this facility "
            f"(it is {referral.status.value})"
        )
    if is_expired(referral.valid_until, now):
        raise TransitionError(f"the referral expired at {referral.valid_until.isoformat()}")
    result.referral, result.action = referral, Action.COMPLETE
    result.reason = "completed by the examination result"
    result.recipients.add(referral.issuer_facility_id)
    if request.recipient_facility_id is not None:
        result.recipients.add(request.recipient_facility_id)
    return result


def apply(
    session: Session,
    *,
    plan_: Plan,
    document: Document,
    principal: Principal,
    now: datetime,
    events: Events,
) -> Referral | None:
    """Write the plan beside the newly recorded document (same transaction)."""
    referral = None
    if plan_.new_referral is not None:
        spec = plan_.new_referral
        referral = Referral(
            id=uuid.uuid4(),
            document_id=document.id,
            requisition_number=_unique_requisition(session),
            issuer_facility_id=document.submitted_by_facility_id,
            performer_facility_id=plan_.performer_facility_id,
            patient_ref=document.patient_ref,
            service_code=spec.service_code,
            service_text=spec.service_text,
            priority=spec.priority,
            valid_until=spec.valid_until or default_valid_until(now),
            status=ReferralStatus.ACTIVE,
            created_at=now,
            updated_at=now,
        )
        session.add(referral)
        session.flush()
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
        deliver(session, document=document, facility_id=facility_id, now=now, events=events)
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
    session: Session, *, document: Document, facility_id: int, now: datetime, events: Events
) -> Delivery:
    """Route ``document`` to a facility (once: a second routing returns the first)."""
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


def _referral_of(session: Session, document: Document | None, *, lock: bool) -> Referral:
    if document is None or document.kind is not DocumentKind.REFERRAL:
        raise InputError("answers_document_id must name a referral")
    query = select(Referral).where(Referral.document_id == document.id)
    if lock:
        query = query.with_for_update()
    referral = session.scalar(query)
    if referral is None:
        raise NotFoundError("no referral for that document")
    return referral


def _delivery(
    session: Session, document_id: uuid.UUID, facility_id: int, *, lock: bool
) -> Delivery:
    query = select(Delivery).where(
        Delivery.document_id == document_id, Delivery.facility_id == facility_id
    )
    if lock:
        query = query.with_for_update()
    delivery = session.scalar(query)
    if delivery is None:
        raise NotFoundError("that document was not delivered to this facility")
    return delivery


def _delivered_to(session: Session, document_id: uuid.UUID) -> set[int]:
    return set(
        session.scalars(select(Delivery.facility_id).where(Delivery.document_id == document_id))
    )


def _get(session: Session, model: type[_Row], ident: uuid.UUID, *, lock: bool) -> _Row | None:
    return session.get(model, ident, with_for_update=lock)


def _unique_requisition(session: Session) -> str:
    for _ in range(10):
        number = new_requisition_number()
        taken = session.scalar(select(Referral.id).where(Referral.requisition_number == number))
        if taken is None:
            return number
    raise RuntimeError("could not draw an unused requisition number")  # 60 bits: never
