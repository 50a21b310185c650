"""What happens when routing changes: the one place that fans a change out to the log (and,
as they arrive, to the audit trail and the webhook outbox), inside the same transaction."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from docex.db.models import Document
from docex.db.routing_models import Delivery, Referral, ReferralStatus
from docex.registry.records import Principal

log = logging.getLogger("docex.routing")


class Events:
    """Receives every routing change; subclasses or later additions write audit/outbox rows.

    Every method runs inside the caller's transaction, so what it writes exists if and
    only if the change itself is committed.
    """

    def delivery_created(self, session: Session, *, delivery: Delivery, document: Document) -> None:
        log.info(
            "delivery %s: document %s (%s) to facility %s",
            delivery.id,
            document.id,
            document.kind.value,
            delivery.facility_id,
        )

    def delivery_fetched(
        self, session: Session, *, delivery: Delivery, principal: Principal
    ) -> None:
        log.info("delivery %s fetched by token %s", delivery.id, principal.token_id)

    def delivery_acknowledged(
        self, session: Session, *, delivery: Delivery, principal: Principal
    ) -> None:
        log.info("delivery %s acknowledged by token %s", delivery.id, principal.token_id)

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
        before = from_status.value if from_status else "-"
        log.info(
            "referral %s: %s -> %s by %s (%s)",
            referral.requisition_number,
            before,
            referral.status.value,
            who,
            reason,
        )
