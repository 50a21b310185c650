"""The body of a document submission, as multipart form or JSON, parsed into a Submission.

Both shapes carry the same metadata, validated by the one model
:class:`~docex.api.schemas.documents.JsonSubmission`; the multipart form sends the
signature (and detached content) as file parts where JSON sends them base64. The OpenAPI
request body (:data:`SUBMIT_BODY`) is derived from that model for both media types.
"""

from __future__ import annotations

import base64
import binascii
import tempfile
import uuid
from typing import IO, Any

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from docex.api.multipart import MULTIPART, form_schema
from docex.api.schemas.documents import JsonSubmission
from docex.domain import DocumentKind
from docex.errors import InputError, NotASignatureError
from docex.services.submission import Submission

# Detached content and signatures above this size spill from memory to a temporary file.
SPOOL_BYTES = 1024 * 1024

FILE_PARTS = {"signed_content": "file", "content": "content"}
"""The model's base64 fields and the multipart file parts that carry them instead."""
# A file part has no text encoding to declare.
FORM_OMITS = ("signed_content_encoding",)

SUBMIT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": JsonSubmission.model_json_schema()},
            MULTIPART: {"schema": form_schema(JsonSubmission, files=FILE_PARTS, omit=FORM_OMITS)},
        },
    }
}
"""The submission's OpenAPI request body (the route reads the body itself)."""


async def read_submission(request: Request, idempotency_key: str | None) -> Submission:
    """The submission in ``request``'s body, by its media type."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == MULTIPART:
        return await _from_multipart(request, idempotency_key)
    if media_type == "application/json":
        return await _from_json(request, idempotency_key)
    raise NotASignatureError("send multipart/form-data or application/json")


async def _from_multipart(request: Request, idempotency_key: str | None) -> Submission:
    form = await request.form(max_files=2, max_fields=10)
    signed = form.get(FILE_PARTS["signed_content"])
    if not isinstance(signed, UploadFile):
        raise InputError("the multipart form needs a 'file' part with the signature")
    content = form.get(FILE_PARTS["content"])
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        meta = JsonSubmission.model_validate({"signed_content": "", **fields})
    except ValidationError as exc:
        raise InputError(validation_message(exc)) from exc
    return meta.submission(
        signed=signed.file,
        content=content.file if isinstance(content, UploadFile) else None,
        idempotency_key=idempotency_key,
    )


async def _from_json(request: Request, idempotency_key: str | None) -> Submission:
    try:
        meta = JsonSubmission.model_validate_json(await request.body())
    except ValidationError as exc:
        raise InputError(validation_message(exc)) from exc
    return meta.submission(
        signed=_spool(meta.signed_content, "signed_content"),
        content=_spool(meta.content, "content") if meta.content is not None else None,
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


def validation_message(exc: ValidationError) -> str:
    """A pydantic validation error as one line: ``field: problem; ...``."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
    )
