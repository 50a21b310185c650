"""Re-validating stored documents: the acceptance report, and later verdicts beside it.

An auditor (or a party to the document) re-verifies the stored original now, or as of a
given time, with the trust and revocation data configured today. The new report is kept
beside the one made at acceptance; neither is ever changed. The acceptance policy it is given
says, beside the neutral verdict, whether the gate would accept the document on the new
report (recorded in the audit entry, returned to the caller; it changes nothing stored).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.log import Actor, record
from docex.clock import utcnow
from docex.db.documents import Document, Revalidation
from docex.db.engine import unit_of_work
from docex.domain import Outcome
from docex.errors import NotFoundError
from docex.registry.records import Principal
from docex.services.access import visible_to
from docex.services.records import RevalidationRecord
from docex.signatures.isolation import SignatureVerifier
from docex.signatures.policy import AcceptanceDecision, AcceptancePolicy
from docex.signatures.report import ValidationReport
from docex.storage.base import ObjectStore


@dataclass(frozen=True)
class ReportHistory:
    """The acceptance report and every later re-validation, oldest first."""

    document_id: uuid.UUID
    acceptance: dict[str, Any]
    revalidations: list[RevalidationRecord]


@dataclass(frozen=True)
class RevalidationResult:
    """A kept re-validation, and what the acceptance policy makes of its report."""

    revalidation: RevalidationRecord
    acceptance: AcceptanceDecision


def _document(
    sessions: sessionmaker[Session], principal: Principal, document_id: uuid.UUID
) -> Document:
    with unit_of_work(sessions) as session:
        document = session.scalar(visible_to(principal).where(Document.id == document_id))
        if document is None:
            raise NotFoundError(f"no document {document_id}")
        session.expunge(document)
    return document


def report_history(
    *, sessions: sessionmaker[Session], principal: Principal, document_id: uuid.UUID
) -> ReportHistory:
    """The report made at acceptance and the re-validations since."""
    document = _document(sessions, principal, document_id)
    with unit_of_work(sessions) as session:
        rows = [
            RevalidationRecord.of(row)
            for row in session.scalars(
                select(Revalidation)
                .where(Revalidation.document_id == document_id)
                .order_by(Revalidation.id)
            )
        ]
    return ReportHistory(
        document_id=document.id, acceptance=document.validation_report, revalidations=rows
    )


def stored_report(
    *,
    sessions: sessionmaker[Session],
    principal: Principal,
    document_id: uuid.UUID,
    revalidation_id: int | None = None,
) -> ValidationReport:
    """The acceptance report, or re-validation ``revalidation_id``'s, as the report model.

    :raises NotFoundError: no such document visible to ``principal``, or no such
        re-validation of it.
    """
    document = _document(sessions, principal, document_id)
    if revalidation_id is None:
        return ValidationReport.from_dict(document.validation_report)
    with unit_of_work(sessions) as session:
        row = session.scalar(
            select(Revalidation).where(
                Revalidation.document_id == document_id, Revalidation.id == revalidation_id
            )
        )
        if row is None:
            raise NotFoundError(f"no re-validation {revalidation_id} of document {document_id}")
        data = row.report
    return ValidationReport.from_dict(data)


def revalidate(
    *,
    sessions: sessionmaker[Session],
    store: ObjectStore,
    verifier: SignatureVerifier,
    acceptance_policy: AcceptancePolicy,
    principal: Principal,
    document_id: uuid.UUID,
    at: datetime | None = None,
) -> RevalidationResult:
    """Verify the stored original in ``store`` again (as of ``at``, default now) with
    ``verifier``, keep the report, and say what ``acceptance_policy`` makes of it."""
    document = _document(sessions, principal, document_id)
    with store.open(document.object_key) as reader:
        signed = reader.read()
    content = None
    if document.content_object_key is not None:
        with store.open(document.content_object_key) as reader:
            content = reader.read()
    report = verifier.verify(signed, content=content, at=at)
    acceptance = acceptance_policy.decide(report, kind=document.kind.value)
    row = Revalidation(
        document_id=document.id,
        requested_by_token_id=principal.token_id,
        validation_time=report.validation_time,
        indication=report.indication.value,
        qualification=report.qualification.value,
        report=report.to_dict(),
        created_at=utcnow(),
    )
    with unit_of_work(sessions) as session:
        session.add(row)
        session.flush()
        record(
            session,
            actor=Actor.from_principal(principal),
            action=actions.DOCUMENT_REVALIDATE,
            outcome=Outcome.OK,
            target_type=actions.DOCUMENT,
            target_id=str(document.id),
            details={
                "validation_time": report.validation_time.isoformat(),
                "indication": report.indication.value,
                "sub_indication": None
                if report.sub_indication is None
                else str(report.sub_indication),
                "qualification": report.qualification.value,
                "policy": acceptance.policy,
                "accepted_by_policy": acceptance.accepted,
            },
        )
        kept = RevalidationRecord.of(row)
    return RevalidationResult(revalidation=kept, acceptance=acceptance)
