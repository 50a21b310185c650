"""Frozen records the use cases return instead of ORM rows.

A route or a command reads these; nothing it does to one can reach the database, and no
lazy load can fire after the unit of work that produced it has ended.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

from docex.domain import DocumentKind, DocumentStatus

if TYPE_CHECKING:
    from docex.db.documents import Document


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
    recipient_facility_id: int | None
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
        here is all it takes to carry a column out.
        """
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})
