"""Tables of the signed documents the exchange holds, and their later re-validations.

The original signed bytes live in the object store; a ``documents`` row holds their
digest, where to find them, and the validation report made when they were accepted.

Changing a table means adding an Alembic revision under ``migrations/versions``;
``tests/db/test_migrations.py`` fails while the tables and the migrations disagree.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docex.clock import utcnow
from docex.db.base import Base, enum_type
from docex.db.registry import ApiToken, Facility
from docex.domain import DocumentKind, DocumentStatus


class Document(Base):
    """A signed document the exchange accepted."""

    __tablename__ = "documents"
    __table_args__ = (
        # A retried submission with the same key finds the first instead of a duplicate.
        UniqueConstraint("submitted_by_facility_id", "idempotency_key"),
        # A facility's inbox: what was sent to it, newest first.
        Index("ix_documents_recipient_created", "recipient_facility_id", "created_at"),
        CheckConstraint("size >= 0", name="size_not_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[DocumentKind] = mapped_column(enum_type(DocumentKind, "document_kind"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    object_key: Mapped[str] = mapped_column(String(512))
    content_type: Mapped[str] = mapped_column(String(255))
    content_object_key: Mapped[str | None] = mapped_column(String(512))
    """The detached content of a CAdES signature, stored beside it (content-addressed)."""
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    submitted_by_facility_id: Mapped[int] = mapped_column(ForeignKey(Facility.id))
    recipient_facility_id: Mapped[int | None] = mapped_column(ForeignKey(Facility.id))
    # The facilities by row, for their EDRPOUs: a listing loads them with the documents
    # (``joinedload``); one document loads them by primary key, from the identity map
    # when the unit of work has already read them.
    submitted_by: Mapped[Facility] = relationship(foreign_keys=[submitted_by_facility_id])
    recipient: Mapped[Facility | None] = relationship(foreign_keys=[recipient_facility_id])
    patient_ref: Mapped[str] = mapped_column(String(200), index=True)
    answers_document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("documents.id"), index=True
    )
    """The referral an examination result answers."""
    signer_rnokpp: Mapped[str | None] = mapped_column(String(10), index=True)
    signer_edrpou: Mapped[str | None] = mapped_column(String(8))
    indication: Mapped[str] = mapped_column(String(32))
    """ETSI EN 319 102-1 main indication at acceptance (TOTAL_PASSED, ...)."""
    qualification: Mapped[str] = mapped_column(String(32))
    """Qualification of the signature at acceptance (QESig, QESeal, ...)."""
    validation_report: Mapped[dict[str, Any]]
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[DocumentStatus] = mapped_column(
        enum_type(DocumentStatus, "document_status"),
        default=DocumentStatus.CURRENT,
        server_default=DocumentStatus.CURRENT.value,
    )
    replaces_document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    """The earlier document this one corrects."""
    superseded_by_document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    """The later document that corrected this one."""
    format: Mapped[str | None] = mapped_column(String(64))
    """The signed format its facts were read from, e.g. ``referral/1`` (docex.formats)."""
    record_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    """SHA-256 of the signed content the facts were read from (a medical document's
    manifest): signed content makes at most one record."""
    manifest_object_key: Mapped[str | None] = mapped_column(String(512))
    """A medical document's signed manifest (an attached CMS), stored beside it."""
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    manifest_report: Mapped[dict[str, Any] | None]
    """The validation report of the manifest's signature at acceptance."""


class Revalidation(Base):
    """A later re-verification of a stored document, kept beside the acceptance report."""

    __tablename__ = "revalidations"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(Document.id), index=True)
    requested_by_token_id: Mapped[int] = mapped_column(ForeignKey(ApiToken.id))
    validation_time: Mapped[datetime]
    indication: Mapped[str] = mapped_column(String(32))
    qualification: Mapped[str] = mapped_column(String(32))
    report: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
