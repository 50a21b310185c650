"""Initial schema: facilities, employees, API tokens, documents.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 14:34:31+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "facilities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edrpou", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "inactive",
                name="facility_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facilities")),
        sa.UniqueConstraint("edrpou", name=op.f("uq_facilities_edrpou")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lookup_id", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "facility",
                "auditor",
                name="token_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(role = 'facility' AND facility_id IS NOT NULL)"
            " OR (role = 'auditor' AND facility_id IS NULL)",
            name=op.f("ck_api_tokens_role_matches_facility"),
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_api_tokens_facility_id_facilities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("lookup_id", name=op.f("uq_api_tokens_lookup_id")),
    )
    op.create_index(op.f("ix_api_tokens_facility_id"), "api_tokens", ["facility_id"], unique=False)

    op.create_table(
        "documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "referral",
                "examination_result",
                "medical_document",
                name="document_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("object_key", sa.String(length=512), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("content_object_key", sa.String(length=512), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("submitted_by_facility_id", sa.Integer(), nullable=False),
        sa.Column("recipient_facility_id", sa.Integer(), nullable=True),
        sa.Column("patient_ref", sa.String(length=200), nullable=False),
        sa.Column("answers_document_id", sa.Uuid(), nullable=True),
        sa.Column("signer_rnokpp", sa.String(length=10), nullable=True),
        sa.Column("signer_edrpou", sa.String(length=8), nullable=True),
        sa.Column("indication", sa.String(length=32), nullable=False),
        sa.Column("qualification", sa.String(length=32), nullable=False),
        sa.Column(
            "validation_report",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("size >= 0", name=op.f("ck_documents_size_not_negative")),
        sa.ForeignKeyConstraint(
            ["answers_document_id"],
            ["documents.id"],
            name=op.f("fk_documents_answers_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_facility_id"],
            ["facilities.id"],
            name=op.f("fk_documents_recipient_facility_id_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_facility_id"],
            ["facilities.id"],
            name=op.f("fk_documents_submitted_by_facility_id_facilities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint(
            "submitted_by_facility_id",
            "idempotency_key",
            name=op.f("uq_documents_submitted_by_facility_id_idempotency_key"),
        ),
    )
    op.create_index(
        op.f("ix_documents_answers_document_id"), "documents", ["answers_document_id"], unique=False
    )
    op.create_index(op.f("ix_documents_patient_ref"), "documents", ["patient_ref"], unique=False)
    op.create_index(
        "ix_documents_recipient_created",
        "documents",
        ["recipient_facility_id", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_documents_sha256"), "documents", ["sha256"], unique=False)
    op.create_index(
        op.f("ix_documents_signer_rnokpp"), "documents", ["signer_rnokpp"], unique=False
    )

    op.create_table(
        "employees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("rnokpp", sa.String(length=10), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "doctor",
                "specialist",
                "administrator",
                name="employee_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_employees_facility_id_facilities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employees")),
        sa.UniqueConstraint("facility_id", "rnokpp", name=op.f("uq_employees_facility_id_rnokpp")),
    )
    op.create_index(op.f("ix_employees_facility_id"), "employees", ["facility_id"], unique=False)
    op.create_index(op.f("ix_employees_rnokpp"), "employees", ["rnokpp"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_employees_rnokpp"), table_name="employees")
    op.drop_index(op.f("ix_employees_facility_id"), table_name="employees")

    op.drop_table("employees")
    op.drop_index(op.f("ix_documents_signer_rnokpp"), table_name="documents")
    op.drop_index(op.f("ix_documents_sha256"), table_name="documents")
    op.drop_index("ix_documents_recipient_created", table_name="documents")
    op.drop_index(op.f("ix_documents_patient_ref"), table_name="documents")
    op.drop_index(op.f("ix_documents_answers_document_id"), table_name="documents")

    op.drop_table("documents")
    op.drop_index(op.f("ix_api_tokens_facility_id"), table_name="api_tokens")

    op.drop_table("api_tokens")
    op.drop_table("facilities")
