"""The metadata database: SQLAlchemy models, engine factory, units of work, migrations."""

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
]
