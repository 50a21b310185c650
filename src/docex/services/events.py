"""What happens when routing changes: the one place that fans a change out to the log, the
audit trail and the webhook outbox, inside the transaction of the change itself."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from docex.audit import actions
from docex.audit.log import Actor, record
from docex.db.deliveries import Delivery
from docex.db.documents import Document
from docex.db.referrals import Referral
from docex.db.registry import Facility
from docex.domain import ActorKind, Outcome, ReferralStatus
from docex.registry.records import Principal
from docex.webhooks.outbox import EventType, add_event

log = logging.getLogger("docex.routing")


def _str(value: object | None) -> str | None:
    return None if value is None else str(value)


def _edrpou(session: Session, facility_id: int) -> str:
    # By primary key: from the identity map when the unit of work has read the row.
    facility = session.get(Facility, facility_id)
    assert facility is not None  # noqa: S101 -- a foreign key guarantees it
    return facility.edrpou


def _actor(principal: Principal | None) -> Actor:
    return Actor.from_principal(principal) if principal else Actor(kind=ActorKind.SYSTEM)


class Events:
    """Receives every routing change and records what follows from it.

    Every method runs inside the caller's transaction, so the audit entries and webhook
    events it writes exist if and only if the change itself is committed.
    """

    def delivery_created(self, session: Session, *, delivery: Delivery, document: Document) -> None:
        # Clients know facilities by EDRPOU only; the rows are in the session already.
        to_edrpou = _edrpou(session, delivery.facility_id)
        log.info(
            "delivery %s: document %s (%s) to facility %s",
            delivery.id,
            document.id,
            document.kind.value,
            delivery.facility_id,
        )
        add_event(
            session,
            facility_id=delivery.facility_id,
            event_type=EventType.DELIVERY_CREATED,
            payload={
                "delivery_id": str(delivery.id),
                "document_id": str(document.id),
                "kind": document.kind.value,
                "patient_ref": document.patient_ref,
                "from_edrpou": _edrpou(session, document.submitted_by_facility_id),
                "answers_document_id": _str(document.answers_document_id),
            },
        )
        record(
            session,
            actor=Actor(kind=ActorKind.SYSTEM),
            action=actions.DELIVERY_CREATE,
            outcome=Outcome.OK,
            target_type=actions.DELIVERY,
            target_id=str(delivery.id),
            details={"document_id": str(document.id), "to_edrpou": to_edrpou},
        )

    def delivery_fetched(
        self, session: Session, *, delivery: Delivery, principal: Principal
    ) -> None:
        log.info("delivery %s fetched by token %s", delivery.id, principal.token_id)
        self._delivery_step(session, actions.DELIVERY_FETCH, delivery, principal)

    def delivery_acknowledged(
        self, session: Session, *, delivery: Delivery, principal: Principal
    ) -> None:
        log.info("delivery %s acknowledged by token %s", delivery.id, principal.token_id)
        self._delivery_step(session, actions.DELIVERY_ACK, delivery, principal)

    @staticmethod
    def _delivery_step(
        session: Session, action: str, delivery: Delivery, principal: Principal
    ) -> None:
        record(
            session,
            actor=_actor(principal),
            action=action,
            outcome=Outcome.OK,
            target_type=actions.DELIVERY,
            target_id=str(delivery.id),
            details={
                "document_id": str(delivery.document_id),
                "receipt_document_id": _str(delivery.receipt_document_id),
            },
        )

    def referral_changed(
        self,
        session: Session,
        *,
        referral: Referral,
        from_status: ReferralStatus | None,
        principal: Principal | None,
        reason: str,
    ) -> None:
        who = f"token {principal.token_id}" if principal else "the system"
        before = from_status.value if from_status else None
        # The referral's id, never its requisition number: that number is a bearer secret
        # for an unaddressed referral.
        log.info(
            "referral %s: %s -> %s by %s (%s)",
            referral.id,
            before or "-",
            referral.status.value,
            who,
            reason,
        )
        record(
            session,
            actor=_actor(principal),
            action=actions.REFERRAL_TRANSITION,
            outcome=Outcome.OK,
            target_type=actions.REFERRAL,
            target_id=str(referral.id),
            details={
                "requisition_number": referral.requisition_number,
                "from": before,
                "to": referral.status.value,
                "reason": reason,
            },
        )
        parties = {
            referral.issuer_facility_id,
            referral.performer_facility_id,
            referral.taken_by_facility_id,
        }
        # Every party is told, except the facility that made the change itself.
        acting = principal.facility_id if principal else None
        for facility_id in sorted(f for f in parties if f is not None and f != acting):
            add_event(
                session,
                facility_id=facility_id,
                event_type=EventType.REFERRAL_STATUS_CHANGED,
                payload={
                    "referral_id": str(referral.id),
                    "requisition_number": referral.requisition_number,
                    "document_id": str(referral.document_id),
                    "status": referral.status.value,
                    "previous_status": before,
                    "reason": reason,
                },
            )
