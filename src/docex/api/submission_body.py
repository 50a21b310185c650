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
from typing import IO, Any

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from docex.api.multipart import MULTIPART, form_schema
from docex.api.schemas.documents import JsonSubmission
from docex.errors import InputError, NotASignatureError
from docex.services.submission import Submission

# Detached content and signatures above this size spill from memory to a temporary file.
SPOOL_BYTES = 1024 * 1024

FILE_PARTS = {"signed_content": "file", "content": "content", "manifest": "manifest"}
"""The model's base64 fields and the multipart file parts that carry them instead."""
FILES = frozenset(FILE_PARTS.values())
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
    form = await request.form(max_files=3, max_fields=16)
    try:
        return _form_submission(form, idempotency_key)
    except BaseException:
        # The route closes the parts of a submission it got; a refused form is closed here.
        await form.close()
        raise


def _form_submission(form: FormData, idempotency_key: str | None) -> Submission:
    signed = form.get(FILE_PARTS["signed_content"])
    if not isinstance(signed, UploadFile):
        raise InputError("the multipart form needs a 'file' part with the signature")
    content = form.get(FILE_PARTS["content"])
    manifest = form.get(FILE_PARTS["manifest"])
    unknown = sorted(k for k, v in form.multi_items() if not isinstance(v, str) and k not in FILES)
    if unknown:
        raise InputError(f"{unknown[0]}: not a file part of a submission")
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if set(fields) & FILES:
        raise InputError(f"{sorted(set(fields) & FILES)[0]}: send this as a file part")
    # The base64 fields of the JSON body have no place in a form (their file parts do).
    not_form = sorted(set(fields) & (set(FILE_PARTS) | set(FORM_OMITS)))
    if not_form:
        raise InputError(f"{not_form[0]}: not a field of a multipart submission")
    try:
        meta = JsonSubmission.model_validate({"signed_content": "", **fields})
    except ValidationError as exc:
        raise InputError(validation_message(exc)) from exc
    return meta.submission(
        signed=signed.file,
        content=content.file if isinstance(content, UploadFile) else None,
        manifest=manifest.file if isinstance(manifest, UploadFile) else None,
        idempotency_key=idempotency_key,
    )


async def _from_json(request: Request, idempotency_key: str | None) -> Submission:
    try:
        meta = JsonSubmission.model_validate_json(await request.body())
    except ValidationError as exc:
        raise InputError(validation_message(exc)) from exc
    spools: dict[str, IO[bytes]] = {}
    try:
        for field in ("signed_content", "content", "manifest"):
            text = getattr(meta, field)
            if text is not None:
                spools[field] = _spool(text, field)
    except BaseException:
        # A later part that does not decode leaves the earlier ones to be closed here.
        for spool in spools.values():
            spool.close()
        raise
    return meta.submission(
        signed=spools["signed_content"],
        content=spools.get("content"),
        manifest=spools.get("manifest"),
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


def validation_message(exc: ValidationError) -> str:
    """A pydantic validation error as one line: ``field: problem; ...``."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
    )
