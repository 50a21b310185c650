"""The metadata database: tables, engine factory, units of work, migrations.

:mod:`docex.db.base` holds the declarative base and column types; one module per concept
holds its tables (:mod:`~docex.db.registry`, :mod:`~docex.db.documents`,
:mod:`~docex.db.referrals`, :mod:`~docex.db.deliveries`, :mod:`~docex.db.audit`,
:mod:`~docex.db.webhooks`); :mod:`docex.db.schema` gathers them all for Alembic and the
tests. The enums the tables store are :mod:`docex.domain`'s, so naming a role or a kind
needs no import from here.
"""

from docex.db.engine import (
    create_engine_from_settings,
    create_engine_from_url,
    flush_or_conflict,
    session_factory,
    unit_of_work,
)
from docex.db.migrate import upgrade

__all__ = [
    "create_engine_from_settings",
    "create_engine_from_url",
    "flush_or_conflict",
    "session_factory",
    "unit_of_work",
    "upgrade",
]
