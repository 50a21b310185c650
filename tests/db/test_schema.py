"""``docex.db.schema`` gathers every table module, so Alembic compares the whole schema."""

from __future__ import annotations

import importlib
import pkgutil

import docex.db
from docex.db import schema


def test_schema_holds_every_table_of_every_db_module() -> None:
    for module in pkgutil.iter_modules(docex.db.__path__):
        if module.name != "migrations":
            importlib.import_module(f"docex.db.{module.name}")
    exported = {
        getattr(schema, name).__tablename__
        for name in schema.__all__
        if hasattr(getattr(schema, name), "__tablename__")
    }
    # Importing every module adds no table the schema module did not already name.
    assert set(schema.metadata.tables) == exported
    assert {"facilities", "documents", "referrals", "audit_entries", "outbox_events"} <= exported
