"""Migrations: they build the schema from nothing and agree with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from docex.db import create_engine_from_settings, upgrade
from docex.db.migrate import current_revision, head_revision
from docex.db.schema import metadata
from docex.settings import Settings


def test_upgrade_empty_database(backend_settings: Settings) -> None:
    assert current_revision(backend_settings.database_url) is None
    upgrade(backend_settings.database_url)
    assert current_revision(backend_settings.database_url) == head_revision()
    engine = create_engine_from_settings(backend_settings)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"facilities", "employees", "api_tokens", "documents", "alembic_version"} <= tables


def test_upgrade_twice_is_harmless(backend_settings: Settings) -> None:
    engine = create_engine_from_settings(backend_settings)
    try:
        upgrade(engine)
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_models_match_migrations(backend_settings: Settings) -> None:
    engine = create_engine_from_settings(backend_settings)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()
    assert diff == []
