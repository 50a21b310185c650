"""Re-validating stored documents: the acceptance report, and later verdicts beside it.

An auditor re-verifies the stored original now, or as of a given time, with the trust and
revocation data configured today. The new report is kept beside the one made at
acceptance; neither is ever changed.

Every kept re-validation is permanent, and each costs a signature verification, so who may
ask and how often is bounded by a :class:`RevalidationPolicy`: auditors only unless the
deployment lets the facilities a document involves re-validate it too (checking a verdict
is the auditors' work; a facility has the acceptance report), and at most
``max_per_document`` re-validations per document. The API adds a per-token rate limit.

The acceptance policy it is given says, beside the neutral verdict, whether the gate would
accept the document on the new report (recorded in the audit entry, returned to the
caller; it changes nothing stored).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.log import Actor, record
from docex.clock import utcnow
from docex.db.documents import Document, Revalidation
from docex.db.engine import unit_of_work
from docex.db.locks import locking
from docex.domain import Outcome
from docex.errors import NotFoundError, PermissionDeniedError, RevalidationLimitError
from docex.registry.records import Principal
from docex.services.access import visible_to
from docex.services.records import RevalidationRecord
from docex.settings import Settings
from docex.signatures.isolation import SignatureVerifier
from docex.signatures.policy import AcceptanceDecision, AcceptancePolicy
from docex.signatures.report import ValidationReport
from docex.storage.base import ObjectStore


@dataclass(frozen=True)
class RevalidationPolicy:
    """Who may re-validate a document, and how many re-validations one document keeps."""

    max_per_document: int
    """Re-validations kept for one document; past it :class:`RevalidationLimitError`."""
    parties_may_revalidate: bool = False
    """Whether the facilities a document involves may re-validate it, not only auditors."""

    @classmethod
    def from_settings(cls, settings: Settings) -> RevalidationPolicy:
        """The policy ``settings`` configure (``DOCEX_REVALIDATION_*``)."""
        return cls(
            max_per_document=settings.revalidation_max_per_document,
            parties_may_revalidate=settings.revalidation_by_parties,
        )


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
    policy: RevalidationPolicy,
    principal: Principal,
    document_id: uuid.UUID,
    at: datetime | None = None,
) -> RevalidationResult:
    """Verify the stored original in ``store`` again (as of ``at``, default now) with
    ``verifier``, keep the report, and say what ``acceptance_policy`` makes of it.

    :raises NotFoundError: no such document visible to ``principal``.
    :raises PermissionDeniedError: ``policy`` does not let ``principal`` re-validate.
    :raises RevalidationLimitError: the document has ``policy.max_per_document``
        re-validations already.
    """
    document = _document(sessions, principal, document_id)
    if not principal.is_auditor and not policy.parties_may_revalidate:
        raise PermissionDeniedError("only auditors may re-validate documents")
    # Checked before verifying, so that a document at its cap costs no verification, and
    # again under the document's row lock when the new report is kept.
    with unit_of_work(sessions) as session:
        _check_cap(session, policy, document.id)
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
        # A row lock on PostgreSQL: concurrent re-validations of one document count one
        # after the other, so none slips past the cap. SQLite writes one at a time anyway.
        session.execute(locking(select(Document.id).where(Document.id == document.id)))
        _check_cap(session, policy, document.id)
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


def _check_cap(session: Session, policy: RevalidationPolicy, document_id: uuid.UUID) -> None:
    kept = session.scalar(
        select(func.count())
        .select_from(Revalidation)
        .where(Revalidation.document_id == document_id)
    )
    if (kept or 0) >= policy.max_per_document:
        raise RevalidationLimitError(
            f"document {document_id} has {kept} re-validations, the most this deployment "
            f"keeps for one document ({policy.max_per_document})"
        )
