"""Documents: submit, read metadata and report, fetch the signed file and its payload, list.

The handlers only translate: bodies are in :mod:`docex.api.schemas.documents`, the
submission body is read by :mod:`docex.api.submission_body`, the work is the services'.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from docex.api.deps import PrincipalDep, RateLimitsDep, RuntimeDep, TokenUseDep
from docex.api.downloads import download_response
from docex.api.negotiation import preferred
from docex.api.pagination import page_parameters
from docex.api.schemas.documents import (
    AcceptanceOut,
    DocumentOut,
    DocumentPageOut,
    DocumentWithReport,
    ReferralCreated,
    ReportHistoryOut,
    RevalidateRequest,
    RevalidationOut,
    SubmittedDocument,
    revalidation_out,
)
from docex.api.submission_body import SUBMIT_BODY, read_submission
from docex.db.pagination import PageRequest
from docex.domain import DocumentKind
from docex.errors import InputError, NotAcceptableError
from docex.services import documents as reading
from docex.services import revalidation
from docex.services.submission import submit_document

router = APIRouter(prefix="/api/v1/documents", tags=["documents"])


@router.post(
    "",
    status_code=201,
    response_model=SubmittedDocument,
    openapi_extra=SUBMIT_BODY,
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
    use: TokenUseDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """Submit a signed document (multipart or JSON); it is verified before it is stored."""
    submission = await read_submission(request, idempotency_key)
    try:
        # The token's use is recorded in the submission's transaction (see get_token_use).
        result = await run_in_threadpool(
            submit_document,
            runtime,
            principal=use.principal,
            submission=submission,
            token_use=use,
        )
    finally:
        for part in (submission.signed, submission.content, submission.manifest):
            if part is not None:
                part.close()
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
    )
    headers = {"Location": f"/api/v1/documents/{result.document.id}"}
    if not result.created:
        headers["Idempotent-Replayed"] = "true"
    # Serialised by pydantic-core straight to bytes (the JSON JSONResponse would make of
    # model_dump(mode="json"), without the Python dict in between).
    return Response(
        body.model_dump_json(),
        status_code=201 if result.created else 200,
        headers=headers,
        media_type="application/json",
    )


@router.get("", response_model=DocumentPageOut)
def list_documents(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    kind: DocumentKind | None = None,
    patient: Annotated[str | None, Query(max_length=200)] = None,
    since: datetime | None = None,
    # Keyword-only: the page parameters come last, as in the published schema.
    *,
    page: Annotated[
        PageRequest, Depends(page_parameters(default=50, maximum=reading.MAX_PAGE_SIZE))
    ],
) -> DocumentPageOut:
    """List the documents this token may read, oldest first."""
    found = reading.list_documents(
        runtime,
        principal=principal,
        kind=kind,
        patient_ref=patient,
        since=since,
        cursor=page.cursor,
        limit=page.limit,
    )
    return DocumentPageOut(
        items=[DocumentOut.of(d) for d in found.documents], next_cursor=found.next_cursor
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


REPORT_MEDIA_TYPES = ("application/json", "application/xml", "application/pdf")
"""What ``…/report`` offers: the JSON history, the ETSI TS 119 102-2 XML, the PDF report."""
_REPORT_FORMATS = {"json": "application/json", "xml": "application/xml", "pdf": "application/pdf"}


@router.get(
    "/{document_id}/report",
    response_model=ReportHistoryOut,
    responses={
        200: {
            "content": {
                "application/xml": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
            "description": "JSON: the acceptance report and every re-validation. XML (ETSI "
            "TS 119 102-2) or PDF: one report, the acceptance one unless `revalidation` "
            "names another.",
        },
        406: {"description": "None of the Accept header's types is offered"},
    },
)
def get_report(
    document_id: uuid.UUID,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    report_format: Annotated[
        Literal["json", "xml", "pdf"] | None,
        Query(alias="format", description="Overrides the Accept header."),
    ] = None,
    revalidation_id: Annotated[
        int | None,
        Query(alias="revalidation", ge=1, description="A re-validation's id (XML and PDF)."),
    ] = None,
    accept: Annotated[str | None, Header()] = None,
) -> ReportHistoryOut | Response:
    """The validation report made at acceptance, and later re-validations.

    By ``Accept`` or ``format``: JSON (the history), the ETSI TS 119 102-2 XML validation
    report, or a PDF report for people.
    """
    media_type = (
        _REPORT_FORMATS[report_format]
        if report_format is not None
        else preferred(accept, REPORT_MEDIA_TYPES)
    )
    if media_type is None:
        raise NotAcceptableError(
            f"the report is offered as {', '.join(REPORT_MEDIA_TYPES)}; the Accept header "
            "takes none of them"
        )
    if media_type == "application/json":
        history = revalidation.report_history(
            sessions=runtime.sessions, principal=principal, document_id=document_id
        )
        return ReportHistoryOut(
            document_id=history.document_id,
            acceptance_report=history.acceptance,
            revalidations=[revalidation_out(r) for r in history.revalidations],
        )
    report = revalidation.stored_report(
        sessions=runtime.sessions,
        principal=principal,
        document_id=document_id,
        revalidation_id=revalidation_id,
    )
    name = f"docex-report-{document_id}" + (f"-{revalidation_id}" if revalidation_id else "")
    if media_type == "application/xml":
        from docex.reports.etsi_xml import etsi_validation_report

        body = etsi_validation_report(report)
        disposition = f'inline; filename="{name}.xml"'
    else:
        from docex.reports.pdf import pdf_validation_report

        sources = ", ".join(str(p) for p in runtime.settings.trust)
        trust = f"trust sources as configured now: {sources}"
        body = pdf_validation_report(report, trust=trust)
        disposition = f'attachment; filename="{name}.pdf"'
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": disposition, "Vary": "Accept"},
    )


@router.post("/{document_id}/revalidate", response_model=RevalidationOut, status_code=201)
def revalidate_document(
    document_id: uuid.UUID,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    rate_limits: RateLimitsDep,
    body: RevalidateRequest | None = None,
) -> RevalidationOut:
    """Verify the stored original again, now or as of ``at``, and keep that report (auditors)."""
    at = body.at if body is not None else None
    if at is not None and at.tzinfo is None:
        raise InputError("at needs a time zone")
    rate_limits.check_revalidation(principal.token_id)
    result = revalidation.revalidate(
        sessions=runtime.sessions,
        store=runtime.store,
        verifier=runtime.verifier,
        acceptance_policy=runtime.acceptance_policy,
        policy=revalidation.RevalidationPolicy.from_settings(runtime.settings),
        principal=principal,
        document_id=document_id,
        at=at,
    )
    return revalidation_out(result.revalidation, result.acceptance)


_DOWNLOAD_HEADERS = {
    "ETag": {
        "description": "The SHA-256 of the bytes served, quoted.",
        "schema": {"type": "string"},
    },
    "Content-Disposition": {
        "description": "attachment, with a file name made of the id.",
        "schema": {"type": "string"},
    },
}


_CONTENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/pkcs7-signature": {}, "application/pdf": {}},
        "headers": _DOWNLOAD_HEADERS,
        "description": "The signature file as submitted (HEAD: its headers only).",
    },
    304: {"description": "If-None-Match names the current ETag"},
}


# GET and HEAD are two operations of one handler, so that each has its own operation id.
@router.get(
    "/{document_id}/content", response_class=StreamingResponse, responses=_CONTENT_RESPONSES
)
@router.head(
    "/{document_id}/content", response_class=StreamingResponse, responses=_CONTENT_RESPONSES
)
def get_content(
    document_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The original signed file, exactly as submitted (ETag: its SHA-256)."""
    download = reading.open_content(
        runtime, principal=principal, document_id=document_id, head=request.method == "HEAD"
    )
    return download_response(download, method=request.method, if_none_match=if_none_match)


_PAYLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/pdf": {},
            "application/fhir+json": {},
            "application/json": {},
            "application/octet-stream": {},
        },
        "headers": _DOWNLOAD_HEADERS,
        "description": "The bytes the signatures are over: the detached content, the "
        "content encapsulated in the (innermost) CMS, or the PDF (HEAD: headers only).",
    },
    304: {"description": "If-None-Match names the current ETag"},
}


@router.get(
    "/{document_id}/payload", response_class=StreamingResponse, responses=_PAYLOAD_RESPONSES
)
@router.head(
    "/{document_id}/payload", response_class=StreamingResponse, responses=_PAYLOAD_RESPONSES
)
def get_payload(
    document_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    principal: PrincipalDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The signed payload: what the signatures are over (ETag: its SHA-256)."""
    download = reading.open_payload(
        runtime, principal=principal, document_id=document_id, head=request.method == "HEAD"
    )
    return download_response(download, method=request.method, if_none_match=if_none_match)
