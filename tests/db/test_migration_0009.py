"""Migration 0009: ``api_tokens.successor_id`` on tokens written before it, both ways.

Tokens are written at revision 0008 as the table then was; the upgrade gives them no
successor and a column that refers to a token and names each successor once; the
downgrade removes it and keeps the tokens.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from alembic import command
from sqlalchemy import DateTime, Engine, Table, column, insert, inspect, select, table, update
from sqlalchemy.exc import IntegrityError

from docex.db import create_engine_from_settings, upgrade
from docex.db.migrate import alembic_config, current_revision, head_revision
from docex.db.registry import ApiToken
from docex.settings import Settings

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("api_tokens")}


def test_migration_0009_adds_the_successor_and_takes_it_away(
    backend_settings: Settings,
) -> None:
    engine = create_engine_from_settings(backend_settings)
    try:
        upgrade(engine, "0008")
        assert "successor_id" not in _columns(engine)
        # The table as revision 0008 has it: the model already has the new column.
        before_0009 = table(
            "api_tokens",
            column("lookup_id"),
            column("secret_hash"),
            column("role"),
            column("created_at", DateTime(timezone=True)),
            column("expires_at", DateTime(timezone=True)),
        )
        with engine.begin() as connection:
            connection.execute(
                insert(before_0009),
                [
                    {
                        "lookup_id": f"{number:016x}",
                        "secret_hash": "0" * 64,
                        "role": "auditor",
                        "created_at": START,
                        "expires_at": START + timedelta(days=90),
                    }
                    for number in (1, 2, 3)
                ],
            )
        upgrade(engine)
        assert current_revision(engine) == head_revision() == "0009"
        tokens = cast("Table", ApiToken.__table__)
        with engine.connect() as connection:
            rows = connection.execute(
                select(tokens.c.id, tokens.c.successor_id).order_by(tokens.c.id)
            ).all()
        assert [tuple(r) for r in rows] == [(1, None), (2, None), (3, None)]

        with engine.begin() as connection:
            connection.execute(update(tokens).where(tokens.c.id == 1).values(successor_id=2))
        # No token is the successor of two, and a successor is a token.
        for token_id, successor_id in ((3, 2), (3, 42)):
            with pytest.raises(IntegrityError), engine.begin() as connection:
                connection.execute(
                    update(tokens).where(tokens.c.id == token_id).values(successor_id=successor_id)
                )

        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0008")
        assert current_revision(engine) == "0008"
        assert "successor_id" not in _columns(engine)
        with engine.connect() as connection:
            kept: list[int] = list(
                connection.execute(select(column("id")).select_from(before_0009)).scalars()
            )
            assert sorted(kept) == [1, 2, 3]
        upgrade(engine)
        assert "successor_id" in _columns(engine)
    finally:
        engine.dispose()
