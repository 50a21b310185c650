"""Bodies of the documents resource: what a submission sends and what the routes return.

:class:`JsonSubmission` is the one model of a submission's metadata: the JSON body is it,
and the multipart form's fields are validated by it and described from it
(:mod:`docex.api.submission_body`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import IO, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from docex.domain import DocumentKind, DocumentStatus, ReferralPriority, ReferralStatus
from docex.services.records import DocumentRecord, RevalidationRecord
from docex.services.signed_facts import Claims
from docex.services.submission import Submission
from docex.signatures.policy import AcceptanceDecision


class DocumentOut(BaseModel):
    """A stored document's metadata and verdict."""

    id: uuid.UUID
    kind: DocumentKind
    sha256: str = Field(
        description="SHA-256 of the original signed bytes (the ETag of `…/content`)."
    )
    size: int
    content_type: str
    detached_content_sha256: str | None = Field(
        description="SHA-256 of the detached content (the ETag of `…/payload` then)."
    )
    submitted_by_edrpou: str = Field(description="EDRPOU of the facility that submitted it.")
    recipient_edrpou: str | None = Field(
        description="EDRPOU of the facility it was addressed to, if any."
    )
    patient_ref: str
    answers_document_id: uuid.UUID | None
    signer_rnokpp: str | None
    signer_edrpou: str | None
    indication: str
    qualification: str
    created_at: datetime
    status: DocumentStatus = Field(description="`superseded` once a correction replaced it.")
    replaces_document_id: uuid.UUID | None = None
    superseded_by_document_id: uuid.UUID | None = None

    @classmethod
    def of(cls, document: DocumentRecord) -> DocumentOut:
        """The metadata of a stored document: the record's fields of the same names."""
        values = {
            name: getattr(document, name)
            for name in cls.model_fields
            if name != "detached_content_sha256"
        }
        return cls(**values, detached_content_sha256=document.content_sha256)


class ReferralCreated(BaseModel):
    """The referral a ``referral`` submission opened."""

    id: uuid.UUID
    requisition_number: str = Field(description="The number the patient carries to the performer.")
    status: ReferralStatus
    valid_until: datetime


class AcceptanceOut(BaseModel):
    """The gate's decision on the verified document, apart from the ETSI verdict."""

    policy: str = Field(description="The acceptance policy that decided, e.g. docex-gate-2026.")
    accepted: bool
    reasons: list[str] = Field(description="Why not accepted; empty when accepted.")

    @classmethod
    def of(cls, decision: AcceptanceDecision | None) -> AcceptanceOut | None:
        """The gate's decision, or ``None`` where none was made (a replay)."""
        if decision is None:
            return None
        return cls(
            policy=decision.policy, accepted=decision.accepted, reasons=list(decision.reasons)
        )


class SubmittedDocument(DocumentOut):
    """The accepted document; for a referral, the referral it opened."""

    referral: ReferralCreated | None = None
    acceptance: AcceptanceOut | None = Field(
        default=None,
        description="The acceptance policy's decision; null for an Idempotency-Key replay.",
    )


class DocumentWithReport(DocumentOut):
    """A document with the validation report made when it was accepted."""

    validation_report: dict[str, Any]


class DocumentPageOut(BaseModel):
    """A page of documents; pass ``next_cursor`` as ``cursor`` for the next one."""

    items: list[DocumentOut]
    next_cursor: str | None


class JsonSubmission(BaseModel):
    """A submission as JSON, the way eHealth clients send signed content.

    The facts of the document (patient, recipient, the referral answered, the service
    ordered) are read from the signed content (``docs/schemas``, :mod:`docex.formats`).
    The fields that repeat them are optional; when given, each must equal the signed
    value, or the submission is refused as ``content-mismatch``. Unknown fields are
    refused, so that a misspelt one is never silently ignored.
    """

    model_config = ConfigDict(extra="forbid")

    signed_content: str = Field(description="The signature file (CMS or PDF), base64.")
    signed_content_encoding: Literal["base64"] = "base64"
    content: str | None = Field(default=None, description="Detached content, base64.")
    manifest: str | None = Field(
        default=None,
        description="A medical document's signed manifest, base64: an attached CMS over a "
        "FHIR DocumentReference (document-manifest/1) naming the signed file by SHA-256.",
    )
    kind: DocumentKind
    patient_ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Repeats the signed patient identifier (RNOKPP or eHealth person id).",
    )
    recipient_edrpou: str | None = Field(
        default=None, pattern=r"^\d{8}$", description="Repeats the signed recipient."
    )
    answers_document_id: uuid.UUID | None = Field(
        default=None,
        description="Repeats the signed document this one acts on: the referral a result "
        "answers (basedOn) or a recall/cancellation concerns (focus).",
    )
    replaces_document_id: uuid.UUID | None = Field(
        default=None, description="Repeats the signed result a correction replaces."
    )
    service_code: str | None = Field(default=None, min_length=1, max_length=64)
    service_text: str | None = Field(default=None, min_length=1, max_length=500)
    priority: ReferralPriority | None = None
    valid_until: AwareDatetime | None = Field(
        default=None, description="Repeats the signed end of a referral's validity."
    )

    @field_validator("patient_ref", "service_code", "service_text")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        # A form field reaches the database as text, where PostgreSQL refuses U+0000.
        if value is not None and "\x00" in value:
            raise ValueError("may not contain the NUL character (U+0000)")
        return value

    def submission(
        self,
        *,
        signed: IO[bytes],
        content: IO[bytes] | None,
        manifest: IO[bytes] | None,
        idempotency_key: str | None,
    ) -> Submission:
        """The submission these metadata describe, with the decoded files."""
        return Submission(
            signed=signed,
            content=content,
            manifest=manifest,
            kind=self.kind,
            claims=Claims(
                patient_ref=self.patient_ref,
                recipient_edrpou=self.recipient_edrpou,
                answers_document_id=self.answers_document_id,
                replaces_document_id=self.replaces_document_id,
                service_code=self.service_code,
                service_text=self.service_text,
                priority=self.priority,
                valid_until=self.valid_until,
            ),
            idempotency_key=idempotency_key,
        )


class RevalidationOut(BaseModel):
    """A later verdict on a stored document."""

    id: int
    validation_time: datetime
    indication: str
    qualification: str
    requested_by_token_id: int
    created_at: datetime
    report: dict[str, Any]
    acceptance: AcceptanceOut | None = Field(
        default=None,
        description="What the acceptance policy makes of this report (in the response to "
        "the re-validation; null in the history, where it is not kept).",
    )


class ReportHistoryOut(BaseModel):
    """The report made at acceptance and every re-validation since."""

    document_id: uuid.UUID
    acceptance_report: dict[str, Any]
    revalidations: list[RevalidationOut]


class RevalidateRequest(BaseModel):
    """When to validate as of (default: now)."""

    at: datetime | None = None


def revalidation_out(
    row: RevalidationRecord, acceptance: AcceptanceDecision | None = None
) -> RevalidationOut:
    """The response body for a stored re-validation and, if known, the gate's decision."""
    return RevalidationOut(
        id=row.id,
        validation_time=row.validation_time,
        indication=row.indication,
        qualification=row.qualification,
        requested_by_token_id=row.requested_by_token_id,
        created_at=row.created_at,
        report=row.report,
        acceptance=AcceptanceOut.of(acceptance),
    )
