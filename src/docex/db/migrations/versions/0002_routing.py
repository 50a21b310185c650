"""Routing: referrals and their history, deliveries, re-validations; document status,
corrections, and the signed kinds that act on other documents (recall, cancellation,
receipt).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 15:11:55+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_0001 = ("referral", "examination_result", "medical_document")
KINDS_0002 = (*KINDS_0001, "referral_recall", "referral_cancellation", "receipt")


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "fetched",
                "acknowledged",
                name="delivery_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receipt_document_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_deliveries_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_deliveries_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_document_id"],
            ["documents.id"],
            name=op.f("fk_deliveries_receipt_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "document_id", "facility_id", name=op.f("uq_deliveries_document_id_facility_id")
        ),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deliveries_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            "ix_deliveries_facility_created", ["facility_id", "created_at"], unique=False
        )

    op.create_table(
        "referrals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("requisition_number", sa.String(length=20), nullable=False),
        sa.Column("issuer_facility_id", sa.Integer(), nullable=False),
        sa.Column("performer_facility_id", sa.Integer(), nullable=True),
        sa.Column("taken_by_facility_id", sa.Integer(), nullable=True),
        sa.Column("patient_ref", sa.String(length=200), nullable=False),
        sa.Column("service_code", sa.String(length=64), nullable=False),
        sa.Column("service_text", sa.String(length=500), nullable=False),
        sa.Column(
            "priority",
            sa.Enum(
                "routine",
                "urgent",
                "asap",
                "stat",
                name="referral_priority",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "in_progress",
                "completed",
                "recalled",
                "entered_in_error",
                name="referral_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("result_document_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_referrals_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["issuer_facility_id"],
            ["facilities.id"],
            name=op.f("fk_referrals_issuer_facility_id_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["performer_facility_id"],
            ["facilities.id"],
            name=op.f("fk_referrals_performer_facility_id_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["result_document_id"],
            ["documents.id"],
            name=op.f("fk_referrals_result_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["taken_by_facility_id"],
            ["facilities.id"],
            name=op.f("fk_referrals_taken_by_facility_id_facilities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("document_id", name=op.f("uq_referrals_document_id")),
        sa.UniqueConstraint("requisition_number", name=op.f("uq_referrals_requisition_number")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referrals_issuer_facility_id"), ["issuer_facility_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_referrals_patient_ref"), ["patient_ref"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_referrals_performer_facility_id"),
            ["performer_facility_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_referrals_status"), ["status"], unique=False)

    op.create_table(
        "revalidations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by_token_id", sa.Integer(), nullable=False),
        sa.Column("validation_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("indication", sa.String(length=32), nullable=False),
        sa.Column("qualification", sa.String(length=32), nullable=False),
        sa.Column(
            "report",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_revalidations_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_token_id"],
            ["api_tokens.id"],
            name=op.f("fk_revalidations_requested_by_token_id_api_tokens"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revalidations")),
    )
    with op.batch_alter_table("revalidations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_revalidations_document_id"), ["document_id"], unique=False
        )

    op.create_table(
        "referral_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("actor_facility_id", sa.Integer(), nullable=True),
        sa.Column("actor_token_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_facility_id"],
            ["facilities.id"],
            name=op.f("fk_referral_transitions_actor_facility_id_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_token_id"],
            ["api_tokens.id"],
            name=op.f("fk_referral_transitions_actor_token_id_api_tokens"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_referral_transitions_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_referral_transitions_referral_id_referrals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_transitions")),
    )
    with op.batch_alter_table("referral_transitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_transitions_referral_id"), ["referral_id"], unique=False
        )

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sa.Enum(
                    "current",
                    "superseded",
                    name="document_status",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                server_default="current",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("replaces_document_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("superseded_by_document_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_documents_superseded_by_document_id_documents"),
            "documents",
            ["superseded_by_document_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_documents_replaces_document_id_documents"),
            "documents",
            ["replaces_document_id"],
            ["id"],
        )
        # New document kinds: the CHECK constraint of the enum is replaced (autogenerate
        # does not see enum values).
        batch_op.drop_constraint(op.f("ck_documents_document_kind"), type_="check")
        batch_op.create_check_constraint("document_kind", sa.column("kind").in_(KINDS_0002))


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_documents_document_kind"), type_="check")
        batch_op.create_check_constraint("document_kind", sa.column("kind").in_(KINDS_0001))
        batch_op.drop_constraint(
            batch_op.f("fk_documents_replaces_document_id_documents"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_documents_superseded_by_document_id_documents"), type_="foreignkey"
        )
        batch_op.drop_column("superseded_by_document_id")
        batch_op.drop_column("replaces_document_id")
        batch_op.drop_column("status")

    with op.batch_alter_table("referral_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_transitions_referral_id"))

    op.drop_table("referral_transitions")
    with op.batch_alter_table("revalidations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revalidations_document_id"))

    op.drop_table("revalidations")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_status"))
        batch_op.drop_index(batch_op.f("ix_referrals_performer_facility_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_patient_ref"))
        batch_op.drop_index(batch_op.f("ix_referrals_issuer_facility_id"))

    op.drop_table("referrals")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_facility_created")
        batch_op.drop_index(batch_op.f("ix_deliveries_document_id"))

    op.drop_table("deliveries")
