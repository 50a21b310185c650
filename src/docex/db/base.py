"""What every docex table is built from: the declarative base, the constraint naming
convention, and column types that behave the same on SQLite and PostgreSQL.

The tables themselves live in one module per concept (:mod:`docex.db.registry`,
:mod:`docex.db.documents`, ...); :mod:`docex.db.schema` imports them all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Enum, Integer, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator, TypeEngine

# Constraint names are part of the schema migrations refer to, so they are derived the
# same way on every database instead of being left to each dialect.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, stored in UTC, read back timezone-aware on every database.

    PostgreSQL's ``timestamptz`` already does this; SQLite stores text and returns naive
    values. Signing and submission times are legal facts, so a naive datetime is refused
    on the way in rather than silently assumed to be UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} stored; use a timezone-aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value)!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def json_type() -> TypeEngine[Any]:
    """JSON on SQLite, JSONB (indexable, compact) on PostgreSQL."""
    return JSON().with_variant(JSONB(), "postgresql")


BIG_ID = BigInteger().with_variant(Integer(), "sqlite")
"""An autoincrementing key for tables that grow with every request or event.

BIGINT on PostgreSQL (a national exchange logs and announces a lot); on SQLite only a
column declared exactly ``INTEGER PRIMARY KEY`` is the automatic rowid, 64-bit anyway.
"""


def enum_type(enum: type[StrEnum], name: str) -> Enum:
    """The column type storing one of :mod:`docex.domain`'s enums by value.

    VARCHAR plus a CHECK constraint rather than a native PostgreSQL ENUM: adding a value
    later is then an ordinary migration on both databases.
    """
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    """Declarative base of every docex table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012  # SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: json_type(),
    }
