"""Documents: submit, read metadata and report, fetch the original bytes, list."""

from __future__ import annotations

import base64
import binascii
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import UploadFile

from docex.api.deps import PrincipalDep, RuntimeDep
from docex.db.documents import Document, Revalidation
from docex.domain import DocumentKind, DocumentStatus, ReferralPriority, ReferralStatus
from docex.errors import InputError, NotASignatureError
from docex.referrals.plan import ReferralSpec
from docex.services import documents as reading
from docex.services import revalidation
from docex.services.submission import Submission, submit_document
from docex.signatures.policy import AcceptanceDecision

router = APIRouter(prefix="/api/v1/documents", tags=["documents"])

MULTIPART = "multipart/form-data"
# Detached content and signatures above this size spill from memory to a temporary file.
SPOOL_BYTES = 1024 * 1024


class DocumentOut(BaseModel):
    """A stored document's metadata and verdict."""

    id: uuid.UUID
    kind: DocumentKind
    sha256: str = Field(description="SHA-256 of the original signed bytes (also the ETag).")
    size: int
    content_type: str
    detached_content_sha256: str | None
    submitted_by_facility_id: int
    recipient_facility_id: int | None
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
    def of(cls, document: Document) -> DocumentOut:
        return cls(
            id=document.id,
            kind=document.kind,
            sha256=document.sha256,
            size=document.size,
            content_type=document.content_type,
            detached_content_sha256=document.content_sha256,
            submitted_by_facility_id=document.submitted_by_facility_id,
            recipient_facility_id=document.recipient_facility_id,
            patient_ref=document.patient_ref,
            answers_document_id=document.answers_document_id,
            signer_rnokpp=document.signer_rnokpp,
            signer_edrpou=document.signer_edrpou,
            indication=document.indication,
            qualification=document.qualification,
            created_at=document.created_at,
            status=document.status,
            replaces_document_id=document.replaces_document_id,
            superseded_by_document_id=document.superseded_by_document_id,
        )


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
    """A submission as JSON, the way eHealth clients send signed content."""

    signed_content: str = Field(description="The signature file (CMS or PDF), base64.")
    signed_content_encoding: Literal["base64"] = "base64"
    content: str | None = Field(default=None, description="Detached content, base64.")
    kind: DocumentKind
    patient_ref: str = Field(min_length=1, max_length=200)
    recipient_edrpou: str | None = Field(
        default=None, pattern=r"^\d{8}$", description="The facility to route the document to."
    )
    answers_document_id: uuid.UUID | None = Field(
        default=None,
        description="The document this one acts on: the referral a result answers or a "
        "recall/cancellation concerns, or the delivered document a receipt acknowledges.",
    )
    replaces_document_id: uuid.UUID | None = Field(
        default=None, description="An earlier examination result of this facility it corrects."
    )
    service_code: str | None = Field(default=None, min_length=1, max_length=64)
    service_text: str | None = Field(default=None, min_length=1, max_length=500)
    priority: ReferralPriority = ReferralPriority.ROUTINE
    valid_until: datetime | None = Field(
        default=None, description="End of a referral's validity (default: 7 days, 23:59:59 Kyiv)."
    )

    def submission(
        self, *, signed: IO[bytes], content: IO[bytes] | None, idempotency_key: str | None
    ) -> Submission:
        """The submission these metadata describe, with the decoded files."""
        return Submission(
            signed=signed,
            content=content,
            kind=self.kind,
            patient_ref=self.patient_ref,
            recipient_edrpou=self.recipient_edrpou,
            answers_document_id=self.answers_document_id,
            replaces_document_id=self.replaces_document_id,
            referral=self.referral_spec(),
            idempotency_key=idempotency_key,
        )

    def referral_spec(self) -> ReferralSpec | None:
        if self.service_code is None and self.service_text is None:
            return None
        if self.service_code is None or self.service_text is None:
            raise InputError("a referral needs both service_code and service_text")
        if self.valid_until is not None and self.valid_until.tzinfo is None:
            raise InputError("valid_until needs a time zone")
        return ReferralSpec(
            service_code=self.service_code,
            service_text=self.service_text,
            priority=self.priority,
            valid_until=self.valid_until,
        )


_SUBMIT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": JsonSubmission.model_json_schema()},
            MULTIPART: {
                "schema": {
                    "type": "object",
                    "required": ["file", "kind", "patient_ref"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "content": {"type": "string", "format": "binary"},
                        "kind": {"type": "string", "enum": [k.value for k in DocumentKind]},
                        "patient_ref": {"type": "string"},
                        "recipient_edrpou": {"type": "string"},
                        "answers_document_id": {"type": "string", "format": "uuid"},
                        "replaces_document_id": {"type": "string", "format": "uuid"},
                        "service_code": {"type": "string"},
                        "service_text": {"type": "string"},
                        "priority": {"type": "string", "enum": [p.value for p in ReferralPriority]},
                        "valid_until": {"type": "string", "format": "date-time"},
                    },
                }
            },
        },
    }
}


@router.post(
    "",
    status_code=201,
    response_model=SubmittedDocument,
    openapi_extra=_SUBMIT_BODY,
    responses={
        200: {"description": "A replay of an earlier submission with the same Idempotency-Key"},
        403: {"description": "The signer is not an active employee of this facility"},
        413: {"description": "The upload is too large"},
        415: {"description": "The file is not a signature"},
        422: {"description": "The signature is not valid or not qualified"},
        503: {"description": "Storage or database unavailable; nothing was stored"},
    },
)
async def submit(
    request: Request,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Submit a signed document (multipart or JSON); it is verified before it is stored."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == MULTIPART:
        submission = await _from_multipart(request, idempotency_key)
    elif media_type == "application/json":
        submission = await _from_json(request, idempotency_key)
    else:
        raise NotASignatureError("send multipart/form-data or application/json")
    try:
        result = await run_in_threadpool(
            submit_document, runtime, principal=principal, submission=submission
        )
    finally:
        submission.signed.close()
        if submission.content is not None:
            submission.content.close()
    referral = result.referral
    body = SubmittedDocument(
        **DocumentOut.of(result.document).model_dump(),
        referral=ReferralCreated(
            id=referral.id,
            requisition_number=referral.requisition_number,
            status=referral.status,
            valid_until=referral.valid_until,
        )
        if referral is not None
        else None,
        acceptance=AcceptanceOut.of(result.acceptance),
    ).model_dump(mode="json")
    headers = {"Location": f"/api/v1/documents/{result.document.id}"}
    if not result.created:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=201 if result.created else 200, headers=headers)


@router.get("", response_model=DocumentPageOut)
def list_documents(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    kind: DocumentKind | None = None,
    patient: Annotated[str | None, Query(max_length=200)] = None,
    since: datetime | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=reading.MAX_PAGE_SIZE)] = 50,
) -> DocumentPageOut:
    """List the documents this token may read, oldest first."""
    page = reading.list_documents(
        runtime,
        principal=principal,
        kind=kind,
        patient_ref=patient,
        since=since,
        cursor=cursor,
        limit=limit,
    )
    return DocumentPageOut(
        items=[DocumentOut.of(d) for d in page.documents], next_cursor=page.next_cursor
    )


@router.get("/{document_id}", response_model=DocumentWithReport)
def get_document(
    document_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> DocumentWithReport:
    """A document's metadata and the validation report made when it was accepted."""
    document = reading.get_document(runtime, principal=principal, document_id=document_id)
    return DocumentWithReport(
        **DocumentOut.of(document).model_dump(), validation_report=document.validation_report
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


def _revalidation_out(
    row: Revalidation, acceptance: AcceptanceDecision | None = None
) -> RevalidationOut:
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


@router.get("/{document_id}/report", response_model=ReportHistoryOut)
def get_report(
    document_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> ReportHistoryOut:
    """The validation report made at acceptance, and later re-validations."""
    history = revalidation.report_history(runtime, principal=principal, document_id=document_id)
    return ReportHistoryOut(
        document_id=history.document_id,
        acceptance_report=history.acceptance,
        revalidations=[_revalidation_out(r) for r in history.revalidations],
    )


@router.post("/{document_id}/revalidate", response_model=RevalidationOut, status_code=201)
def revalidate_document(
    document_id: uuid.UUID,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    body: RevalidateRequest | None = None,
) -> RevalidationOut:
    """Verify the stored original again, now or as of ``at``, and keep that report."""
    at = body.at if body is not None else None
    if at is not None and at.tzinfo is None:
        raise InputError("at needs a time zone")
    result = revalidation.revalidate(runtime, principal=principal, document_id=document_id, at=at)
    return _revalidation_out(result.revalidation, result.acceptance)


@router.get(
    "/{document_id}/content",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_content(
    document_id: uuid.UUID,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The original signed bytes, exactly as submitted (ETag: their SHA-256)."""
    document, reader = reading.open_content(runtime, principal=principal, document_id=document_id)
    etag = f'"{document.sha256}"'
    if if_none_match is not None and etag in if_none_match:
        reader.close()
        return Response(status_code=304, headers={"ETag": etag})

    def chunks() -> Iterator[bytes]:
        with reader:
            yield from reader

    extension = "pdf" if document.content_type == "application/pdf" else "p7s"
    return StreamingResponse(
        chunks(),
        media_type=document.content_type,
        headers={
            "ETag": etag,
            "Content-Length": str(document.size),
            "Content-Disposition": f'attachment; filename="{document.id}.{extension}"',
        },
    )


async def _from_multipart(request: Request, idempotency_key: str | None) -> Submission:
    form = await request.form(max_files=2, max_fields=10)
    signed = form.get("file")
    if not isinstance(signed, UploadFile):
        raise InputError("the multipart form needs a 'file' part with the signature")
    content = form.get("content")
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        meta = JsonSubmission.model_validate({"signed_content": "", **fields})
    except ValidationError as exc:
        raise InputError(_validation_message(exc)) from exc
    return meta.submission(
        signed=signed.file,
        content=content.file if isinstance(content, UploadFile) else None,
        idempotency_key=idempotency_key,
    )


async def receipt_submission(
    request: Request, *, answers_document_id: uuid.UUID, patient_ref: str
) -> Submission:
    """A signed receipt (multipart ``file``) for a delivered document."""
    form = await request.form(max_files=1, max_fields=5)
    signed = form.get("file")
    if not isinstance(signed, UploadFile):
        raise InputError("the multipart form needs a 'file' part with the signed receipt")
    return Submission(
        signed=signed.file,
        kind=DocumentKind.RECEIPT,
        patient_ref=patient_ref,
        answers_document_id=answers_document_id,
    )


async def _from_json(request: Request, idempotency_key: str | None) -> Submission:
    try:
        meta = JsonSubmission.model_validate_json(await request.body())
    except ValidationError as exc:
        raise InputError(_validation_message(exc)) from exc
    return meta.submission(
        signed=_spool(meta.signed_content, "signed_content"),
        content=_spool(meta.content, "content") if meta.content is not None else None,
        idempotency_key=idempotency_key,
    )


def _spool(text: str, field: str) -> IO[bytes]:
    try:
        data = base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise InputError(f"{field} is not valid base64") from exc
    if not data:
        raise NotASignatureError(f"{field} is empty")
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    spool.write(data)
    spool.seek(0)
    return spool


def _validation_message(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
    )
