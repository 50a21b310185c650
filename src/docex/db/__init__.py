"""The metadata database: SQLAlchemy models, engine factory, units of work, migrations."""

# Imported for its tables as much as for use: they must be on Base.metadata before the
# migrations (and their test) compare it with a database.
from docex.db import webhook_models
from docex.db.engine import (
    create_engine_from_settings,
    create_engine_from_url,
    session_factory,
    unit_of_work,
)
from docex.db.migrate import upgrade

__all__ = [
    "create_engine_from_settings",
    "create_engine_from_url",
    "session_factory",
    "unit_of_work",
    "upgrade",
    "webhook_models",
]
