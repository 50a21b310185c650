"""API tokens remember their successor: ``api_tokens.successor_id``.

A rotated token names the token it was rotated to, and a token with a successor is not
rotated again: without this, rotating one token twice within its overlap gave it two
live successors, and a leaked token being rotated away could mint fresh ones. The column
is unique, so no token is the successor of two, and a foreign key to ``api_tokens.id``.

Tokens rotated before this revision have no recorded successor (nothing said which token
replaced which); they expire within the overlap they were given.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A batch, as 0007 altered this table: SQLite adds neither a foreign key nor a unique
    # constraint to an existing table, so there the table is rebuilt (it has no triggers
    # to lose); PostgreSQL gets plain ALTER TABLE statements.
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("successor_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_api_tokens_successor_id_api_tokens"), "api_tokens", ["successor_id"], ["id"]
        )
        batch.create_unique_constraint(op.f("uq_api_tokens_successor_id"), ["successor_id"])


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_constraint(op.f("uq_api_tokens_successor_id"), type_="unique")
        batch.drop_constraint(op.f("fk_api_tokens_successor_id_api_tokens"), type_="foreignkey")
        batch.drop_column("successor_id")
