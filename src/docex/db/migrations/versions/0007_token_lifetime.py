"""API tokens expire: ``api_tokens.expires_at``.

Tokens issued before this revision had no end; they get the default lifetime (90 days)
counted from the upgrade, rather than NULL, which would leave them valid for ever. A
deployment that configured a different ``DOCEX_TOKEN_LIFETIME_DAYS`` can shorten them with
``docex token rotate`` or ``revoke``; the migration does not read the settings, so that
the same revision gives the same schema and data everywhere.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Fixed here rather than imported from the settings: a migration must not change meaning
# when the code's defaults do.
DEFAULT_LIFETIME = timedelta(days=90)


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    tokens = sa.table("api_tokens", sa.column("expires_at", sa.DateTime(timezone=True)))
    # A bound parameter, not SQL date arithmetic, so that both databases store the
    # timestamp the way the models write one.
    op.get_bind().execute(
        tokens.update()
        .where(tokens.c.expires_at.is_(None))
        .values(expires_at=datetime.now(UTC) + DEFAULT_LIFETIME)
    )
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
