"""Frozen records the use cases return instead of ORM rows.

A route or a command reads these; nothing it does to one can reach the database, and no
lazy load can fire after the unit of work that produced it has ended.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Select
from sqlalchemy.orm import joinedload

from docex.db.audit import AuditEntry
from docex.db.documents import Document, Revalidation
from docex.domain import ActorKind, DocumentKind, DocumentStatus, Outcome


@dataclass(frozen=True)
class DocumentRecord:
    """A stored document's metadata and the validation report made at acceptance."""

    id: uuid.UUID
    kind: DocumentKind
    sha256: str
    size: int
    content_type: str
    content_sha256: str | None
    """SHA-256 of a CAdES signature's detached content, stored beside it."""
    submitted_by_facility_id: int
    """The submitting facility's row id: for the use cases only, never shown to clients."""
    submitted_by_edrpou: str
    """The submitting facility's EDRPOU, the identifier clients know it by."""
    recipient_facility_id: int | None
    """The addressed facility's row id: for the use cases only, never shown to clients."""
    recipient_edrpou: str | None
    """The addressed facility's EDRPOU, if the document was addressed."""
    patient_ref: str
    answers_document_id: uuid.UUID | None
    signer_rnokpp: str | None
    signer_edrpou: str | None
    indication: str
    qualification: str
    validation_report: dict[str, Any]
    created_at: datetime
    status: DocumentStatus
    replaces_document_id: uuid.UUID | None
    superseded_by_document_id: uuid.UUID | None

    @classmethod
    def of(cls, row: Document) -> DocumentRecord:
        """The record of a loaded row (call inside the unit of work that loaded it).

        The record's fields are the row's columns of the same names, so adding a field
        here is all it takes to carry a column out; the EDRPOUs come from the facilities
        the row refers to (load many rows with :func:`with_facilities`, or each one costs
        a query for its facilities).
        """
        values = {f.name: getattr(row, f.name) for f in fields(cls) if f.name not in _JOINED}
        recipient = row.recipient
        return cls(
            **values,
            submitted_by_edrpou=row.submitted_by.edrpou,
            recipient_edrpou=None if recipient is None else recipient.edrpou,
        )


_JOINED = frozenset({"submitted_by_edrpou", "recipient_edrpou"})
_Columns = TypeVarTuple("_Columns")


def with_facilities(query: Select[*_Columns]) -> Select[*_Columns]:
    """``query`` loading each document's facilities in the same statement (no N+1)."""
    return query.options(joinedload(Document.submitted_by), joinedload(Document.recipient))


@dataclass(frozen=True)
class RevalidationRecord:
    """A later verdict on a stored document, kept beside the acceptance report."""

    id: int
    document_id: uuid.UUID
    requested_by_token_id: int
    validation_time: datetime
    indication: str
    qualification: str
    report: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, row: Revalidation) -> RevalidationRecord:
        """The record of a loaded row: its columns of the same names."""
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class AuditEntryRecord:
    """One entry of the audit trail, as stored (and hashed) in the chain."""

    id: int
    created_at: datetime
    actor_kind: ActorKind
    actor_facility_id: int | None
    actor_token_id: int | None
    actor_employee_rnokpp: str | None
    action: str
    target_type: str | None
    target_id: str | None
    outcome: Outcome
    details: dict[str, Any]
    chain: int
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, row: AuditEntry) -> AuditEntryRecord:
        """The record of a loaded row: its columns of the same names."""
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})
