"""Submitting a signed document: verify, bind the signer to the facility, store, record.

The order is what makes failures safe:

1. the signature is verified, and the runtime's acceptance policy
   (:mod:`docex.signatures.policy`) decides on the report, before anything is written;
   so is a medical document's signed manifest;
2. the facts are read from the signed content (:mod:`docex.services.signed_facts`):
   every field the request repeats must equal the signed one, the signer must be the
   author the content names, and signed content already recorded makes no second record
   (the same request is answered with the first record, anything else is refused);
3. the signer must be an active employee of the submitting facility (or, for a seal, the
   facility itself); in a nested CMS (a doctor's CMS sealed by the facility) this holds
   for every layer, so the author's signature (layer 0) binds to an employee and the
   seal around it to the facility's EDRPOU;
4. the original bytes go to the object store under content-addressed keys, which never
   overwrite — if the store is down the client gets 503 and the database is untouched;
5. only then is the document row, with the full validation report, written and committed
   in the transaction that made the checks of step 3 (one transaction per submission;
   it has written nothing while the bytes are uploaded). If that commit fails, the
   objects stay behind unreferenced; they are found and removed by
   ``docex storage reconcile`` (see :mod:`docex.services.reconcile`).
   No crash can leave a document row whose bytes the store lacks.
"""

from __future__ import annotations

import hashlib
import io
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from docex.clock import utcnow
from docex.db.documents import Document
from docex.db.engine import unit_of_work
from docex.db.referrals import Referral
from docex.db.registry import Facility
from docex.domain import DocumentKind, FacilityStatus
from docex.errors import (
    ConflictError,
    DatabaseError,
    DocexError,
    DocumentReusedError,
    IdempotencyConflictError,
    InputTooLargeError,
    NotFoundError,
    PermissionDeniedError,
    SignatureRejectedError,
    SignedContentError,
    StorageError,
    SubmissionRefusedError,
)
from docex.formats.facts import SignedFacts
from docex.referrals.plan import ReferralSpec, RoutingRequest
from docex.referrals.requisition import new_requisition_number
from docex.registry.records import Principal
from docex.services import routing_state
from docex.services.access import visible_documents
from docex.services.authentication import TokenUse
from docex.services.records import DocumentRecord
from docex.services.referral_records import WITH_FACILITIES, ReferralRecord
from docex.services.runtime import Runtime
from docex.services.signed_facts import (
    Claims,
    ReadContent,
    check_author,
    check_claims,
    read_content,
)
from docex.services.submission_audit import record_accepted, record_refusal, stream_sha256
from docex.services.submission_checks import check_signers, read_concerned
from docex.signatures.detached import ContentDigests, content_digest_algorithms
from docex.signatures.inputs import check_size
from docex.signatures.payload import PayloadSource, signed_payload
from docex.signatures.policy import AcceptanceDecision, AcceptancePolicy
from docex.signatures.report import SignatureReport, ValidationReport
from docex.storage.base import DEFAULT_CONTENT_TYPE, content_key

log = logging.getLogger("docex.submission")

STREAM_CONTENT_BYTES = 1024 * 1024
"""A medical document's file above this size is hashed and stored in a stream, not held."""

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
    manifest: IO[bytes] | None = None
    """A medical document's signed manifest: an attached CMS over a DocumentReference."""
    kind: DocumentKind
    claims: Claims = field(default_factory=Claims)
    """What the request repeats of the signed content (each must equal it)."""
    idempotency_key: str | None = None


@dataclass(frozen=True)
class SubmissionResult:
    """The accepted document, and whether this call created it (False for a replay).

    A replay carries what the first answer carried: the referral the document opened
    and the acceptance policy's decision on the stored report.
    """

    document: DocumentRecord
    created: bool
    referral: ReferralRecord | None = None
    acceptance: AcceptanceDecision | None = None


@dataclass(frozen=True)
class _Verified:
    """A submission whose signatures the policy accepted, and the facts they sign."""

    signed: bytes
    content: bytes | ContentDigests | None
    report: ValidationReport
    acceptance: AcceptanceDecision
    read: ReadContent
    manifest: bytes | None = None
    manifest_report: ValidationReport | None = None

    @property
    def facts(self) -> SignedFacts:
        return self.read.facts


def submit_document(
    runtime: Runtime,
    *,
    principal: Principal,
    submission: Submission,
    token_use: TokenUse | None = None,
) -> SubmissionResult:
    """Verify and accept a signed document, or raise why it is refused.

    The audit log gets ``document.submit`` in the transaction that stores the document
    (or, for a replay, on its own) and ``document.refuse`` for a refusal, in a transaction
    of its own since a refusal changes nothing else. Failures of the store or the
    database are not refusals; they are not recorded, as the database may be the problem.

    ``token_use``, the request's authentication not yet recorded, is recorded first in
    whichever of those transactions commits (on its own if none does), so that a
    submission makes one transaction with writes, not two.
    """
    try:
        result = _submit_document(
            runtime, principal=principal, submission=submission, token_use=token_use
        )
    except (StorageError, DatabaseError):
        if token_use is not None:
            token_use.record_alone(runtime.sessions)
        raise
    except DocexError as exc:
        with _recording(runtime, token_use) as session:
            record_refusal(
                session,
                principal=principal,
                kind=submission.kind,
                patient_ref=submission.claims.patient_ref,
                recipient_edrpou=submission.claims.recipient_edrpou,
                error=exc,
                sha256=stream_sha256(submission.signed),
            )
        raise
    if not result.created:
        with _recording(runtime, token_use) as session:
            record_accepted(session, principal=principal, document=result.document, replay=True)
    return result


@contextmanager
def _recording(runtime: Runtime, token_use: TokenUse | None) -> Iterator[Session]:
    """A unit of work that records ``token_use`` first, unless an earlier one did."""
    with unit_of_work(runtime.sessions) as session:
        if token_use is not None and not token_use.recorded:
            token_use.record_in(session)
        yield session
    # Reached only once the transaction has committed (a return inside the block too).
    if token_use is not None:
        token_use.recorded = True


def _submit_document(
    runtime: Runtime,
    *,
    principal: Principal,
    submission: Submission,
    token_use: TokenUse | None,
) -> SubmissionResult:
    if principal.facility_id is None:
        raise PermissionDeniedError("auditors read documents; only facilities submit them")
    facility_id = principal.facility_id
    if submission.idempotency_key is not None:
        replay = _replay_by_key(runtime, facility_id, submission)
        if replay is not None:
            return replay
    verified = _verify(runtime, submission, facility_id, principal)
    facts = verified.facts
    with _refusals_logged(submission, facility_id, principal):
        check_claims(facts, submission.claims)
    try:
        with _recording(runtime, token_use) as session:
            with _refusals_logged(submission, facility_id, principal):
                # What the checks need, in one round trip; each is judged in turn.
                concerned = read_concerned(
                    session,
                    facility_id=facility_id,
                    recipient_edrpou=facts.recipient_edrpou,
                    reports=_reports(verified),
                    record_sha256=verified.read.record_sha256,
                    # Drawn now for a referral, so that its check rides on this query.
                    requisition=(new_requisition_number() if facts.order is not None else None),
                )
                facility, recipient = concerned.facility, concerned.recipient
                # First whether every signer may sign for this facility, then whether the
                # author the content names is the one who signed it.
                check_signers(concerned, verified.report)
                if verified.manifest_report is not None:
                    check_signers(concerned, verified.manifest_report)
                check_author(
                    facts,
                    verified.report,
                    facility_edrpou=facility.edrpou,
                    manifest_report=verified.manifest_report,
                )
                # Only an authorised signer learns that its content is recorded already.
                if concerned.recorded_id is not None:
                    recorded = _judge_recorded(
                        session.get(Document, concerned.recorded_id), facility_id, submission
                    )
                    if recorded is not None:
                        return _first_answer(runtime, session, recorded)
                recipient_id = _recipient(recipient, facts.recipient_edrpou)
                _check_answers(
                    session, facility_id=facility_id, document_id=facts.answers_document_id
                )
                routing_request = _routing_request(facts, recipient_id)
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
                verified,
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
                free_requisition=concerned.free_requisition,
            )
            record_accepted(
                session, principal=principal, document=document, policy=verified.acceptance.policy
            )
            session.flush()
            accepted = DocumentRecord.of(document)
            referral_record = None if referral is None else ReferralRecord.of(referral)
            session.expunge_all()
    except ConflictError:
        # Two submissions of one Idempotency-Key, or of one signed content, raced; the
        # first one committed, and this one is answered as its replay (or refused).
        if submission.idempotency_key is not None:
            replay = _replay_by_key(runtime, facility_id, submission)
            if replay is not None:
                return replay
        replay = _replay_by_content(runtime, facility_id, submission, verified.read.record_sha256)
        if replay is not None:
            return replay
        raise
    # No personal data in the log (no RNOKPP, no patient): the audit trail names the
    # signer, under its access rules; the log only says which document and who sent it.
    log.info(
        "accepted document %s kind=%s format=%s facility=%s sha256=%s token=%s",
        document.id,
        submission.kind.value,
        facts.format,
        facility_id,
        document.sha256,
        principal.token_id,
    )
    return SubmissionResult(
        document=accepted,
        created=True,
        referral=referral_record,
        acceptance=verified.acceptance,
    )


def _verify(
    runtime: Runtime, submission: Submission, facility_id: int, principal: Principal
) -> _Verified:
    """Verify the signature (and a manifest's), apply the policy, read the signed facts."""
    limit = runtime.settings.max_content_bytes
    signed_bytes = submission.signed.read()
    content_bytes = _detached_content(runtime, submission, signed_bytes)
    report = runtime.verifier.verify(signed_bytes, content=content_bytes)
    with _refusals_logged(submission, facility_id, principal):
        acceptance = _require_accepted(runtime.acceptance_policy, report, submission.kind)
    manifest_bytes = manifest_content = manifest_report = None
    if submission.manifest is not None:
        manifest_bytes = submission.manifest.read()
        check_size(manifest_bytes, what="manifest", limit=limit)
        manifest_report = runtime.verifier.verify(manifest_bytes)
        with _refusals_logged(submission, facility_id, principal):
            _require_accepted(runtime.acceptance_policy, manifest_report, submission.kind)
        manifest_content = _manifest_content(manifest_bytes)
    with _refusals_logged(submission, facility_id, principal):
        read = read_content(
            kind=submission.kind,
            signed=signed_bytes,
            content=content_bytes if report.document.detached else None,
            manifest_payload=manifest_content,
            max_envelope_depth=runtime.settings.max_envelope_depth,
        )
    return _Verified(
        signed=signed_bytes,
        content=content_bytes,
        report=report,
        acceptance=acceptance,
        read=read,
        manifest=manifest_bytes,
        manifest_report=manifest_report,
    )


def _detached_content(
    runtime: Runtime, submission: Submission, signed: bytes
) -> bytes | ContentDigests | None:
    """The detached content as the verifier takes it: its bytes, or its digests if large.

    A medical document's file is opaque (its facts are in the manifest) and may be a
    scan of hundreds of megabytes: above :data:`STREAM_CONTENT_BYTES` it is hashed in one
    streaming pass instead of being read into memory, and stored from the stream later.
    Every other content is a signed record whose facts are read, so it is read whole.
    """
    stream = submission.content
    if stream is None:
        return None
    limit = runtime.settings.max_content_bytes
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    if size > limit:
        raise InputTooLargeError("signed content", limit)
    if submission.kind is not DocumentKind.MEDICAL_DOCUMENT or size <= STREAM_CONTENT_BYTES:
        return stream.read()
    algorithms = content_digest_algorithms(
        signed,
        max_input_bytes=max(runtime.settings.max_upload_bytes, limit),
        max_envelope_depth=runtime.settings.max_envelope_depth,
    )
    digests = ContentDigests.of_stream(stream, algorithms)
    stream.seek(0)
    return digests


def _manifest_content(manifest: bytes) -> bytes:
    payload = signed_payload(manifest)
    if payload.source is not PayloadSource.ATTACHED:
        raise SignedContentError(
            "the manifest is a CMS signature with the DocumentReference attached"
        )
    return payload.data


@contextmanager
def _refusals_logged(
    submission: Submission, facility_id: int, principal: Principal
) -> Iterator[None]:
    try:
        yield
    except (SubmissionRefusedError, SignedContentError) as exc:
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


def _put(
    runtime: Runtime,
    stream: IO[bytes],
    data: bytes | ContentDigests,
    content_type: str = DEFAULT_CONTENT_TYPE,
) -> tuple[str, str]:
    """Store ``data`` (read again from ``stream``) under its content key: the key, the digest.

    ``data`` given by its digests is stored from the stream alone, never held whole.
    """
    if isinstance(data, ContentDigests):
        digest, length = data.sha256, data.size
    else:
        digest, length = hashlib.sha256(data).hexdigest(), len(data)
    stream.seek(0)
    stored = runtime.store.put(
        content_key(digest), stream, length=length, sha256=digest, content_type=content_type
    )
    return stored.key, digest


def _store(
    runtime: Runtime,
    submission: Submission,
    verified: _Verified,
    *,
    facility_id: int,
    recipient_id: int | None,
) -> Document:
    """Put the original bytes in the object store; the document row that will list them."""
    report, facts = verified.report, verified.facts
    content_type = SIGNATURE_CONTENT_TYPES[report.document.kind]
    signed_key, signed_sha = _put(runtime, submission.signed, verified.signed, content_type)
    content_object_key: str | None = None
    content_sha: str | None = None
    if verified.content is not None and report.document.detached and submission.content is not None:
        content_object_key, content_sha = _put(runtime, submission.content, verified.content)
    manifest_key = manifest_sha = None
    if verified.manifest is not None and submission.manifest is not None:
        manifest_key, manifest_sha = _put(
            runtime, submission.manifest, verified.manifest, SIGNATURE_CONTENT_TYPES["cades"]
        )
    first = _signer_ids(report.signatures)
    return Document(
        id=uuid.uuid4(),
        kind=submission.kind,
        sha256=signed_sha,
        size=len(verified.signed),
        object_key=signed_key,
        content_type=content_type,
        content_object_key=content_object_key,
        content_sha256=content_sha,
        submitted_by_facility_id=facility_id,
        recipient_facility_id=recipient_id,
        patient_ref=facts.patient_ref,
        answers_document_id=facts.answers_document_id,
        signer_rnokpp=first[0],
        signer_edrpou=first[1],
        indication=report.indication.value,
        qualification=report.qualification.value,
        validation_report=report.to_dict(),
        idempotency_key=submission.idempotency_key,
        format=facts.format,
        record_sha256=verified.read.record_sha256,
        manifest_object_key=manifest_key,
        manifest_sha256=manifest_sha,
        manifest_report=(
            verified.manifest_report.to_dict() if verified.manifest_report is not None else None
        ),
    )


def _routing_request(facts: SignedFacts, recipient_id: int | None) -> RoutingRequest:
    order = facts.order
    return RoutingRequest(
        kind=facts.kind,
        patient_ref=facts.patient_ref,
        recipient_facility_id=recipient_id,
        answers_document_id=facts.answers_document_id,
        replaces_document_id=facts.replaces_document_id,
        referral=(
            ReferralSpec(
                service_code=order.service_code,
                service_text=order.service_text,
                priority=order.priority,
                valid_until=order.valid_until,
            )
            if order is not None
            else None
        ),
    )


def _require_accepted(
    policy: AcceptancePolicy, report: ValidationReport, kind: DocumentKind
) -> AcceptanceDecision:
    """The policy's decision; a refusal is raised with the report and the policy's reasons."""
    decision = policy.decide(report, kind=kind.value)
    if not decision.accepted:
        raise SignatureRejectedError(decision.message, report=report)
    return decision


def _recipient(facility: Facility | None, edrpou: str | None) -> int | None:
    if edrpou is None:
        return None
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


def _replay_by_key(
    runtime: Runtime, facility_id: int, submission: Submission
) -> SubmissionResult | None:
    """The first answer for this facility's Idempotency-Key, if it was used; 409 if for
    other bytes."""
    with unit_of_work(runtime.sessions) as session:
        existing = session.scalar(
            select(Document).where(
                Document.submitted_by_facility_id == facility_id,
                Document.idempotency_key == submission.idempotency_key,
            )
        )
        if existing is None:
            return None
        position = submission.signed.tell()
        digest = hashlib.sha256(submission.signed.read()).hexdigest()
        submission.signed.seek(position)
        if digest != existing.sha256:
            raise IdempotencyConflictError(
                "this Idempotency-Key was already used for a different document"
            )
        return _first_answer(runtime, session, existing)


def _replay_by_content(
    runtime: Runtime, facility_id: int, submission: Submission, record_sha256: str
) -> SubmissionResult | None:
    """The first answer for signed content already recorded, when asked the same again.

    The same signed content makes one record: submitted again by the same facility as the
    same kind it is answered with that record; asked to do anything else, refused.
    """
    with unit_of_work(runtime.sessions) as session:
        existing = _recorded(session, facility_id, submission, record_sha256)
        return _first_answer(runtime, session, existing) if existing is not None else None


def _recorded(
    session: Session, facility_id: int, submission: Submission, record_sha256: str
) -> Document | None:
    """The document recorded from this signed content, if the submission asks the same."""
    existing = session.scalar(select(Document).where(Document.record_sha256 == record_sha256))
    return _judge_recorded(existing, facility_id, submission)


def _judge_recorded(
    existing: Document | None, facility_id: int, submission: Submission
) -> Document | None:
    """``existing``, recorded from the same signed content, if the submission asks the
    same of it; refused if anything else."""
    if existing is None:
        return None
    if existing.submitted_by_facility_id != facility_id or existing.kind is not submission.kind:
        raise DocumentReusedError(
            "this signed content is already recorded as another document; signed content "
            "makes one record, so a new one needs a new signature"
        )
    return existing


def _first_answer(runtime: Runtime, session: Session, document: Document) -> SubmissionResult:
    """What the submission that created ``document`` answered: the record, its referral,
    the policy's decision (re-made on the stored report, as it was then)."""
    referral = session.scalar(
        select(Referral).where(Referral.document_id == document.id).options(*WITH_FACILITIES)
    )
    report = ValidationReport.from_dict(document.validation_report)
    acceptance = runtime.acceptance_policy.decide(report, kind=document.kind.value)
    record = DocumentRecord.of(document)
    referral_record = None if referral is None else ReferralRecord.of(referral)
    session.expunge_all()
    return SubmissionResult(
        document=record, created=False, referral=referral_record, acceptance=acceptance
    )


def _reports(verified: _Verified) -> tuple[ValidationReport, ...]:
    if verified.manifest_report is None:
        return (verified.report,)
    return (verified.report, verified.manifest_report)


def _signer_ids(signatures: tuple[SignatureReport, ...]) -> tuple[str | None, str | None]:
    # The document's signer is its author: in a sealed CMS, the innermost layer's signer,
    # not the facility whose seal wraps it.
    for signature in sorted(signatures, key=lambda s: s.layer):
        if signature.signer is not None:
            return signature.signer.rnokpp, signature.signer.edrpou
    return None, None
