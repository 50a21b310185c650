"""The audit entries of a submission: what was accepted, or what was refused and why."""

from __future__ import annotations

import hashlib
from typing import IO, Any

from sqlalchemy.orm import Session

from docex.audit import actions
from docex.audit.log import Actor, record
from docex.db.documents import Document
from docex.domain import DocumentKind, Outcome
from docex.errors import DocexError, SubmissionRefusedError
from docex.registry.records import Principal
from docex.services.records import DocumentRecord

# A refusal's message can quote a certificate; the report itself stays out of the log.
_MAX_MESSAGE = 300


def record_accepted(
    session: Session,
    *,
    principal: Principal,
    document: Document | DocumentRecord,
    replay: bool = False,
    policy: str | None = None,
) -> None:
    """``document.submit``: who submitted which document, signed by whom, under which
    acceptance policy (``policy``, absent for a replay, which decides nothing anew)."""
    details: dict[str, Any] = {
        "kind": document.kind.value,
        "sha256": document.sha256,
        "signer_rnokpp": document.signer_rnokpp,
        "signer_edrpou": document.signer_edrpou,
        "indication": document.indication,
        "qualification": document.qualification,
        "recipient_edrpou": _recipient_edrpou(document),
        "patient_ref": document.patient_ref,
    }
    if document.answers_document_id is not None:
        details["answers_document_id"] = str(document.answers_document_id)
    if policy is not None:
        details["policy"] = policy
    if replay:
        details["replay"] = True
    record(
        session,
        actor=Actor.from_principal(principal, employee_rnokpp=document.signer_rnokpp),
        action=actions.DOCUMENT_SUBMIT,
        outcome=Outcome.OK,
        target_type=actions.DOCUMENT,
        target_id=str(document.id),
        details=details,
    )


def record_refusal(
    session: Session,
    *,
    principal: Principal,
    kind: DocumentKind,
    patient_ref: str | None,
    recipient_edrpou: str | None,
    error: DocexError,
    sha256: str | None = None,
) -> None:
    """``document.refuse``: who tried to submit what, and the problem code that refused it.

    ``patient_ref`` and ``recipient_edrpou`` are what the request said, when it said them:
    a refusal may come before the signed content was read (or because it could not be).
    ``sha256`` is the digest of the refused signed bytes (see :func:`stream_sha256`), so
    that the refused file can later be recognised without the log keeping it.
    """
    details: dict[str, Any] = {
        "code": error.code,
        "message": str(error)[:_MAX_MESSAGE],
        "kind": kind.value,
        "patient_ref": patient_ref,
        "recipient_edrpou": recipient_edrpou,
    }
    if sha256 is not None:
        details["sha256"] = sha256
    signer_rnokpp: str | None = None
    if isinstance(error, SubmissionRefusedError):
        report = error.report
        details["indication"] = report.indication.value
        sub = report.sub_indication
        details["sub_indication"] = None if sub is None else sub.value
        for signature in report.signatures:
            if signature.signer is not None:
                signer_rnokpp = signature.signer.rnokpp
                details["signer_edrpou"] = signature.signer.edrpou
                details["qualification"] = signature.qualification.value
                break
    record(
        session,
        actor=Actor.from_principal(principal, employee_rnokpp=signer_rnokpp),
        action=actions.DOCUMENT_REFUSE,
        outcome=Outcome.REFUSED,
        target_type=actions.DOCUMENT,
        details=details,
    )


def stream_sha256(stream: IO[bytes]) -> str | None:
    """Hex SHA-256 of a seekable stream's whole content, read from its start; ``None`` for a
    stream that cannot be read again (the refusal is recorded without a digest then)."""
    try:
        stream.seek(0)
        digest = hashlib.sha256()
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    except (OSError, ValueError):
        # Closed or unseekable: the upload is gone, and the refusal is still worth recording.
        return None
    return digest.hexdigest()


def _recipient_edrpou(document: Document | DocumentRecord) -> str | None:
    if isinstance(document, DocumentRecord):
        return document.recipient_edrpou
    return None if document.recipient is None else document.recipient.edrpou
