"""Documents: the signed format their facts come from, and one record per signed content.

``record_sha256`` is the SHA-256 of the signed content the facts were read from (for a
medical document, its manifest's); it is unique, so the same signed bytes cannot make a
second record. Rows accepted before this revision keep NULL, which a unique constraint
does not compare. A medical document's manifest is stored beside it, with the report of
its signature.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 17:15:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("format", sa.String(64), nullable=True))
        batch.add_column(sa.Column("record_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("manifest_object_key", sa.String(512), nullable=True))
        batch.add_column(sa.Column("manifest_sha256", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column(
                "manifest_report",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                nullable=True,
            )
        )
        batch.create_unique_constraint("uq_documents_record_sha256", ["record_sha256"])


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_constraint("uq_documents_record_sha256", type_="unique")
        for column in (
            "manifest_report",
            "manifest_sha256",
            "manifest_object_key",
            "record_sha256",
            "format",
        ):
            batch.drop_column(column)
