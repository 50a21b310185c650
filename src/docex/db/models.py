"""The relational model of docex: who may use the exchange, and what it holds.

The original signed bytes live in the object store; a ``documents`` row holds their
digest, where to find them, and the validation report made when they were accepted.

Changing a model means adding an Alembic revision under ``migrations/versions``;
``tests/db/test_migrations.py`` fails while models and migrations disagree.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from docex.db.types import UTCDateTime, json_type

# Constraint names are part of the schema migrations refer to, so they are derived the
# same way on every database instead of being left to each dialect.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class FacilityStatus(StrEnum):
    """Whether a facility may use the exchange."""

    ACTIVE = "active"
    INACTIVE = "inactive"


class EmployeeRole(StrEnum):
    """What an employee does at a facility."""

    DOCTOR = "doctor"
    SPECIALIST = "specialist"
    ADMINISTRATOR = "administrator"


class TokenRole(StrEnum):
    """Whom an API token speaks for."""

    FACILITY = "facility"
    """A facility's medical information system; the token names the facility."""
    AUDITOR = "auditor"
    """An auditor, who reads everything and belongs to no facility."""


class DocumentKind(StrEnum):
    """The kinds of signed document the exchange carries."""

    REFERRAL = "referral"
    EXAMINATION_RESULT = "examination_result"
    MEDICAL_DOCUMENT = "medical_document"
    REFERRAL_RECALL = "referral_recall"
    """The issuer's signed recall of an active referral."""
    REFERRAL_CANCELLATION = "referral_cancellation"
    """The issuer's signed statement that a referral was entered in error."""
    RECEIPT = "receipt"
    """A recipient's signed receipt for a delivered document."""


class DocumentStatus(StrEnum):
    """Whether a document is the current version of itself."""

    CURRENT = "current"
    SUPERSEDED = "superseded"
    """Replaced by a later corrected document from the same facility (both stay readable)."""


def _enum(enum: type[StrEnum], name: str) -> Enum:
    # VARCHAR plus a CHECK constraint rather than a native PostgreSQL ENUM: adding a value
    # later is then an ordinary migration on both databases.
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    """Declarative base of every docex table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012  # SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: json_type(),
    }


class Facility(Base):
    """A healthcare facility (an economic entity identified by its EDRPOU code)."""

    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    edrpou: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    status: Mapped[FacilityStatus] = mapped_column(
        _enum(FacilityStatus, "facility_status"), default=FacilityStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deactivated_at: Mapped[datetime | None]


class Employee(Base):
    """A person working at a facility, identified by their RNOKPP (tax number)."""

    __tablename__ = "employees"
    __table_args__ = (UniqueConstraint("facility_id", "rnokpp"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    rnokpp: Mapped[str] = mapped_column(String(10), index=True)
    full_name: Mapped[str] = mapped_column(String(300))
    role: Mapped[EmployeeRole] = mapped_column(_enum(EmployeeRole, "employee_role"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deactivated_at: Mapped[datetime | None]


class ApiToken(Base):
    """An API credential. Only a keyed hash of its secret is stored, never the token."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint(
            "(role = 'facility' AND facility_id IS NOT NULL)"
            " OR (role = 'auditor' AND facility_id IS NULL)",
            name="role_matches_facility",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lookup_id: Mapped[str] = mapped_column(String(32), unique=True)
    """The public part of the token, used to find this row without scanning hashes."""
    secret_hash: Mapped[str] = mapped_column(String(64))
    """Hex HMAC-SHA-256 of the whole token under the configured pepper."""
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"), index=True)
    role: Mapped[TokenRole] = mapped_column(_enum(TokenRole, "token_role"))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


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
    kind: Mapped[DocumentKind] = mapped_column(_enum(DocumentKind, "document_kind"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    object_key: Mapped[str] = mapped_column(String(512))
    content_type: Mapped[str] = mapped_column(String(255))
    content_object_key: Mapped[str | None] = mapped_column(String(512))
    """The detached content of a CAdES signature, stored beside it (content-addressed)."""
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    submitted_by_facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    recipient_facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
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
        _enum(DocumentStatus, "document_status"),
        default=DocumentStatus.CURRENT,
        server_default=DocumentStatus.CURRENT.value,
    )
    replaces_document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    """The earlier document this one corrects."""
    superseded_by_document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    """The later document that corrected this one."""


# Tables of other concerns share this metadata (and so the migrations check); they import
# Base from here, so they are imported after it is complete.
from docex.db import audit_models as audit_models  # noqa: E402
from docex.db import routing_models as routing_models  # noqa: E402
