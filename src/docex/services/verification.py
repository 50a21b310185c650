"""Verifying a signature without storing it: the auditor's and facilities' check-a-file."""

from __future__ import annotations

from datetime import datetime

from docex.errors import InputError, InputTooLargeError
from docex.signatures.guarded import SignatureVerifier
from docex.signatures.report import ValidationReport


async def verify_unstored(
    *,
    verifier: SignatureVerifier,
    data: bytes,
    content: bytes | None,
    at: datetime | None,
    max_signature_bytes: int,
    max_content_bytes: int,
) -> ValidationReport:
    """The validation report of ``data`` (and its detached ``content``) as of ``at``.

    Nothing is stored and nothing is audited: the file never enters the exchange. The
    limits are the submission API's, so that this page is no way around them.

    :raises InputError: an empty upload or a validation time without a time zone.
    :raises InputTooLargeError: an input over its limit.
    :raises NotASignatureError: the bytes are not a signature at all.
    """
    if not data:
        raise InputError("the signature file is empty")
    if len(data) > max_signature_bytes:
        raise InputTooLargeError("the signature file", max_signature_bytes)
    if content is not None and len(content) > max_content_bytes:
        raise InputTooLargeError("the detached content", max_content_bytes)
    if at is not None and at.tzinfo is None:
        raise InputError("the validation time needs a time zone")
    return await verifier.averify(data, content=content, at=at)
