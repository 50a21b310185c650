"""What a submitted document does to the routing state, decided without the database.

Every signed document that acts on another one goes through the same gate as any other
submission and is routed by its kind:

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

:func:`plan` decides from a :class:`RoutingRequest` and the stored rows it concerns
(:class:`ConcernedRows`, read by :mod:`docex.services.routing_state`, under row locks when
the decision is final) and returns the :class:`Plan`, or raises why the document may not
do what it asks. It reads and writes nothing itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from docex.db.deliveries import Delivery
from docex.db.documents import Document
from docex.db.referrals import Referral
from docex.domain import (
    DeliveryStatus,
    DocumentKind,
    DocumentStatus,
    ReferralPriority,
    ReferralStatus,
)
from docex.errors import InputError, NotFoundError, PermissionDeniedError, TransitionError
from docex.referrals.lifecycle import Action, is_expired, next_status


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


@dataclass(frozen=True, kw_only=True)
class ConcernedRows:
    """The stored rows a submission acts on, as read before :func:`plan` decides."""

    answered: Document | None = None
    """The document the submission answers: the one ``answers_document_id`` names or, for
    a replacing examination result that names none, the one the replaced result answered."""
    referral: Referral | None = None
    """The referral of ``answered``, when ``answered`` is a referral document."""
    replaced: Document | None = None
    """The document ``replaces_document_id`` names (examination results only)."""
    delivered_to: frozenset[int] = frozenset()
    """The facilities ``replaced`` was delivered to."""
    delivery: Delivery | None = None
    """The delivery of ``answered`` to the submitting facility (receipts only)."""


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


def plan(*, facility_id: int, request: RoutingRequest, rows: ConcernedRows, now: datetime) -> Plan:
    """Check what the document may do and return the plan; raise why it may not."""
    kind = request.kind
    result = Plan()
    answered = rows.answered
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
        return _plan_result(facility_id, request, rows, result, now)
    if kind in (DocumentKind.REFERRAL_RECALL, DocumentKind.REFERRAL_CANCELLATION):
        referral = _referral_of(rows)
        if referral.issuer_facility_id != facility_id:
            raise PermissionDeniedError("only the issuing facility may recall or cancel a referral")
        if referral.patient_ref != request.patient_ref:
            raise InputError("the signed patient is not the referral's patient")
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
        delivery = rows.delivery
        if delivery is None:
            raise NotFoundError("that document was not delivered to this facility")
        if answered.patient_ref != request.patient_ref:
            raise InputError("the signed patient is not the delivered document's patient")
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
    facility_id: int, request: RoutingRequest, rows: ConcernedRows, result: Plan, now: datetime
) -> Plan:
    replaced = None
    if request.replaces_document_id is not None:
        replaced = rows.replaced
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
        result.recipients.update(rows.delivered_to)
    if rows.answered is None:
        if request.recipient_facility_id is None and replaced is None:
            raise InputError("a standalone examination result must be addressed (recipient_edrpou)")
        if request.recipient_facility_id is not None:
            result.recipients.add(request.recipient_facility_id)
        return result
    referral = _referral_of(rows)
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


def _referral_of(rows: ConcernedRows) -> Referral:
    if rows.answered is None or rows.answered.kind is not DocumentKind.REFERRAL:
        raise InputError("answers_document_id must name a referral")
    if rows.referral is None:
        raise NotFoundError("no referral for that document")
    return rows.referral
