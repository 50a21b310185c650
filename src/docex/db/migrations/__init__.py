"""Alembic migrations of the docex schema; run them with :func:`docex.db.migrate.upgrade`."""
