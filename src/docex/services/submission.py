"""Submitting a signed document: verify, bind the signer to the facility, store, record.

The order is what makes failures safe:

1. the signature is verified, and the runtime's acceptance policy
   (:mod:`docex.signatures.policy`) decides on the report, before anything is written;
2. the signer must be an active employee of the submitting facility (or, for a seal, the
   facility itself); in a nested CMS (a doctor's CMS sealed by the facility) this holds
   for every layer, so the author's signature (layer 0) binds to an employee and the
   seal around it to the facility's EDRPOU;
3. the original bytes go to the object store under content-addressed keys, which never
   overwrite — if the store is down the client gets 503 and the database is untouched;
4. only then is the document row, with the full validation report, written and committed
   in the transaction that made the checks of step 2 (one transaction per submission;
   it has written nothing while the bytes are uploaded). If that commit fails, the
   objects stay behind unreferenced; they are found and removed by
   ``docex storage reconcile`` (see :mod:`docex.services.reconcile`).
   No crash can leave a document row whose bytes the store lacks.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from docex.clock import utcnow
from docex.db.documents import Document
from docex.db.engine import unit_of_work
from docex.db.registry import Facility
from docex.domain import DocumentKind, FacilityStatus
from docex.errors import (
    ConflictError,
    DatabaseError,
    DocexError,
    IdempotencyConflictError,
    NotFoundError,
    PermissionDeniedError,
    SignatureRejectedError,
    SignerNotAuthorizedError,
    StorageError,
    SubmissionRefusedError,
)
from docex.referrals.plan import ReferralSpec, RoutingRequest
from docex.registry.employees import find_active_employee
from docex.registry.records import Principal
from docex.services import routing_state
from docex.services.access import visible_documents
from docex.services.records import DocumentRecord
from docex.services.referral_records import ReferralRecord
from docex.services.runtime import Runtime
from docex.services.submission_audit import record_accepted, record_refusal
from docex.signatures.inputs import check_size
from docex.signatures.policy import AcceptanceDecision, AcceptancePolicy
from docex.signatures.report import Qualification, SignatureReport, ValidationReport
from docex.storage.base import content_key

log = logging.getLogger("docex.submission")

SIGNATURE_CONTENT_TYPES = {
    "cades": "application/pkcs7-signature",
    "pades": "application/pdf",
}


@dataclass(frozen=True, kw_only=True)
class Submission:
    """What a facility submits, after the HTTP layer has bounded and decoded it."""

    signed: IO[bytes]
    """The signature file (CMS or PDF), positioned at its start."""
    content: IO[bytes] | None = None
    """The detached content of a CAdES signature, if any."""
    kind: DocumentKind
    patient_ref: str
    recipient_edrpou: str | None = None
    answers_document_id: uuid.UUID | None = None
    replaces_document_id: uuid.UUID | None = None
    referral: ReferralSpec | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class SubmissionResult:
    """The accepted document, and whether this call created it (False for a replay)."""

    document: DocumentRecord
    created: bool
    referral: ReferralRecord | None = None
    acceptance: AcceptanceDecision | None = None
    """The policy's decision, for a document this call created (a replay has none)."""


def submit_document(
    runtime: Runtime, *, principal: Principal, submission: Submission
) -> SubmissionResult:
    """Verify and accept a signed document, or raise why it is refused.

    The audit log gets ``document.submit`` in the transaction that stores the document
    (or, for a replay, on its own) and ``document.refuse`` for a refusal, in a transaction
    of its own since a refusal changes nothing else. Failures of the store or the
    database are not refusals; they are not recorded, as the database may be the problem.
    """
    try:
        result = _submit_document(runtime, principal=principal, submission=submission)
    except (StorageError, DatabaseError):
        raise
    except DocexError as exc:
        with unit_of_work(runtime.sessions) as session:
            record_refusal(
                session,
                principal=principal,
                kind=submission.kind,
                patient_ref=submission.patient_ref,
                recipient_edrpou=submission.recipient_edrpou,
                error=exc,
            )
        raise
    if not result.created:
        with unit_of_work(runtime.sessions) as session:
            record_accepted(session, principal=principal, document=result.document, replay=True)
    return result


def _submit_document(
    runtime: Runtime, *, principal: Principal, submission: Submission
) -> SubmissionResult:
    if principal.facility_id is None:
        raise PermissionDeniedError("auditors read documents; only facilities submit them")
    facility_id = principal.facility_id
    if submission.idempotency_key is not None:
        replay = _replay(runtime, facility_id, submission)
        if replay is not None:
            return replay

    signed_bytes = submission.signed.read()
    content_bytes = submission.content.read() if submission.content is not None else None
    if content_bytes is not None:
        check_size(content_bytes, what="signed content", limit=runtime.settings.max_content_bytes)
    report = runtime.verifier.verify(signed_bytes, content=content_bytes)
    with _refusals_logged(submission, facility_id, principal):
        acceptance = _require_accepted(runtime.acceptance_policy, report, submission.kind)
    try:
        with unit_of_work(runtime.sessions) as session:
            with _refusals_logged(submission, facility_id, principal):
                _check_signers(session, facility_id=facility_id, report=report)
                recipient_id = _recipient(session, submission.recipient_edrpou)
                _check_answers(
                    session, facility_id=facility_id, document_id=submission.answers_document_id
                )
                routing_request = _routing_request(submission, recipient_id)
                # Checked before storing so that a document the routing refuses leaves
                # nothing stored; checked again under row locks once the row is written.
                routing_state.plan(
                    session, facility_id=facility_id, request=routing_request, now=utcnow()
                )
            # The checks and the record share one transaction; the bytes are stored in
            # between, so a failed upload rolls back a transaction that wrote nothing.
            document = _store(
                runtime,
                submission,
                report,
                signed_bytes,
                content_bytes,
                facility_id=facility_id,
                recipient_id=recipient_id,
            )
            session.add(document)
            try:
                session.flush()
            except IntegrityError as exc:
                raise ConflictError("the document conflicts with one already stored") from exc
            now = utcnow()
            routing_plan = routing_state.plan(
                session, facility_id=facility_id, request=routing_request, now=now, lock=True
            )
            referral = routing_state.apply(
                session,
                plan_=routing_plan,
                document=document,
                principal=principal,
                now=now,
                events=runtime.events,
            )
            record_accepted(
                session, principal=principal, document=document, policy=acceptance.policy
            )
            session.flush()
            accepted = DocumentRecord.of(document)
            referral_record = None if referral is None else ReferralRecord.of(referral)
            session.expunge_all()
    except ConflictError:
        # Two submissions with one Idempotency-Key raced; the first one committed.
        replay = _replay(runtime, facility_id, submission) if submission.idempotency_key else None
        if replay is not None:
            return replay
        raise
    # No personal data in the log (no RNOKPP, no patient): the audit trail names the
    # signer, under its access rules; the log only says which document and who sent it.
    log.info(
        "accepted document %s kind=%s facility=%s sha256=%s token=%s",
        document.id,
        submission.kind.value,
        facility_id,
        document.sha256,
        principal.token_id,
    )
    return SubmissionResult(
        document=accepted, created=True, referral=referral_record, acceptance=acceptance
    )


@contextmanager
def _refusals_logged(
    submission: Submission, facility_id: int, principal: Principal
) -> Iterator[None]:
    try:
        yield
    except SubmissionRefusedError as exc:
        # The reason code only: the message names the signer (RNOKPP, EDRPOU) for the
        # caller, and is kept in the audit trail, not in the log.
        log.warning(
            "refused document kind=%s facility=%s token=%s reason=%s",
            submission.kind.value,
            facility_id,
            principal.token_id,
            exc.code,
        )
        raise


def _store(
    runtime: Runtime,
    submission: Submission,
    report: ValidationReport,
    signed_bytes: bytes,
    content_bytes: bytes | None,
    *,
    facility_id: int,
    recipient_id: int | None,
) -> Document:
    """Put the original bytes in the object store; the document row that will list them."""
    signed_sha = hashlib.sha256(signed_bytes).hexdigest()
    submission.signed.seek(0)
    signed_object = runtime.store.put(
        content_key(signed_sha),
        submission.signed,
        length=len(signed_bytes),
        sha256=signed_sha,
        content_type=SIGNATURE_CONTENT_TYPES[report.document.kind],
    )
    content_object_key: str | None = None
    content_sha: str | None = None
    if content_bytes is not None and report.document.detached and submission.content is not None:
        content_sha = hashlib.sha256(content_bytes).hexdigest()
        submission.content.seek(0)
        content_object_key = runtime.store.put(
            content_key(content_sha),
            submission.content,
            length=len(content_bytes),
            sha256=content_sha,
        ).key
    first = _signer_ids(report.signatures)
    return Document(
        id=uuid.uuid4(),
        kind=submission.kind,
        sha256=signed_sha,
        size=len(signed_bytes),
        object_key=signed_object.key,
        content_type=signed_object.content_type,
        content_object_key=content_object_key,
        content_sha256=content_sha,
        submitted_by_facility_id=facility_id,
        recipient_facility_id=recipient_id,
        patient_ref=submission.patient_ref,
        answers_document_id=submission.answers_document_id,
        signer_rnokpp=first[0],
        signer_edrpou=first[1],
        indication=report.indication.value,
        qualification=report.qualification.value,
        validation_report=report.to_dict(),
        idempotency_key=submission.idempotency_key,
    )


def _routing_request(submission: Submission, recipient_id: int | None) -> RoutingRequest:
    return RoutingRequest(
        kind=submission.kind,
        patient_ref=submission.patient_ref,
        recipient_facility_id=recipient_id,
        answers_document_id=submission.answers_document_id,
        replaces_document_id=submission.replaces_document_id,
        referral=submission.referral,
    )


def _require_accepted(
    policy: AcceptancePolicy, report: ValidationReport, kind: DocumentKind
) -> AcceptanceDecision:
    """The policy's decision; a refusal is raised with the report and the policy's reasons."""
    decision = policy.decide(report, kind=kind.value)
    if not decision.accepted:
        raise SignatureRejectedError(decision.message, report=report)
    return decision


def _check_signers(session: Session, *, facility_id: int, report: ValidationReport) -> None:
    facility = session.get(Facility, facility_id)
    if facility is None or facility.status is not FacilityStatus.ACTIVE:
        raise PermissionDeniedError("the submitting facility is not active")
    layered = any(signature.layer > 0 for signature in report.signatures)
    for signature in report.signatures:
        # In an envelope, say which layer's signer is refused; a single CMS reads as before.
        which = f"{signature.id}: " if layered else ""
        signer = signature.signer
        if signer is None:
            raise SignerNotAuthorizedError(f"{which}the signer cannot be identified", report=report)
        if signature.qualification is Qualification.QESEAL:
            if signer.edrpou != facility.edrpou:
                raise SignerNotAuthorizedError(
                    f"{which}the seal belongs to EDRPOU {signer.edrpou}, not to this facility "
                    f"({facility.edrpou})",
                    report=report,
                )
            continue
        if signer.rnokpp is None:
            raise SignerNotAuthorizedError(
                f"{which}the signing certificate carries no RNOKPP (neither a TINUA- "
                "serialNumber nor a DRFO subject directory attribute)",
                report=report,
            )
        if find_active_employee(session, facility_id=facility_id, rnokpp=signer.rnokpp) is None:
            raise SignerNotAuthorizedError(
                f"{which}the signer (RNOKPP {signer.rnokpp}) is not an active employee of "
                "this facility",
                report=report,
            )


def _recipient(session: Session, edrpou: str | None) -> int | None:
    if edrpou is None:
        return None
    facility = session.scalar(select(Facility).where(Facility.edrpou == edrpou))
    if facility is None or facility.status is not FacilityStatus.ACTIVE:
        raise NotFoundError(f"no active facility with EDRPOU {edrpou}")
    return facility.id


def _check_answers(session: Session, *, facility_id: int, document_id: uuid.UUID | None) -> None:
    if document_id is None:
        return
    visible = session.scalar(
        visible_documents(facility_id=facility_id).where(Document.id == document_id)
    )
    if visible is None:
        raise NotFoundError(f"no document {document_id} visible to this facility")


def _replay(runtime: Runtime, facility_id: int, submission: Submission) -> SubmissionResult | None:
    with unit_of_work(runtime.sessions) as session:
        existing = session.scalar(
            select(Document).where(
                Document.submitted_by_facility_id == facility_id,
                Document.idempotency_key == submission.idempotency_key,
            )
        )
        if existing is None:
            return None
        existing_record = DocumentRecord.of(existing)
    position = submission.signed.tell()
    digest = hashlib.sha256(submission.signed.read()).hexdigest()
    submission.signed.seek(position)
    if digest != existing_record.sha256:
        raise IdempotencyConflictError(
            "this Idempotency-Key was already used for a different document"
        )
    return SubmissionResult(document=existing_record, created=False)


def _signer_ids(signatures: tuple[SignatureReport, ...]) -> tuple[str | None, str | None]:
    # The document's signer is its author: in a sealed CMS, the innermost layer's signer,
    # not the facility whose seal wraps it.
    for signature in sorted(signatures, key=lambda s: s.layer):
        if signature.signer is not None:
            return signature.signer.rnokpp, signature.signer.edrpou
    return None, None
