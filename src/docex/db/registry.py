"""Tables of who may use the exchange: facilities, their employees, API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from docex.clock import utcnow
from docex.db.base import Base, enum_type
from docex.domain import EmployeeRole, FacilityStatus, TokenRole


class Facility(Base):
    """A healthcare facility (an economic entity identified by its EDRPOU code)."""

    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    edrpou: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    status: Mapped[FacilityStatus] = mapped_column(
        enum_type(FacilityStatus, "facility_status"), default=FacilityStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deactivated_at: Mapped[datetime | None]


class Employee(Base):
    """A person working at a facility, identified by their RNOKPP (tax number)."""

    __tablename__ = "employees"
    __table_args__ = (UniqueConstraint("facility_id", "rnokpp"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey(Facility.id), index=True)
    rnokpp: Mapped[str] = mapped_column(String(10), index=True)
    full_name: Mapped[str] = mapped_column(String(300))
    role: Mapped[EmployeeRole] = mapped_column(enum_type(EmployeeRole, "employee_role"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deactivated_at: Mapped[datetime | None]


class ApiToken(Base):
    """An API credential. Only a keyed hash of its secret is stored, never the token."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint(
            "(role = 'facility' AND facility_id IS NOT NULL)"
            " OR (role = 'auditor' AND facility_id IS NULL)",
            name="role_matches_facility",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lookup_id: Mapped[str] = mapped_column(String(32), unique=True)
    """The public part of the token, used to find this row without scanning hashes."""
    secret_hash: Mapped[str] = mapped_column(String(64))
    """Hex HMAC-SHA-256 of the whole token under the configured pepper."""
    facility_id: Mapped[int | None] = mapped_column(ForeignKey(Facility.id), index=True)
    role: Mapped[TokenRole] = mapped_column(enum_type(TokenRole, "token_role"))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    """After this moment the token no longer authenticates (see ``docex token rotate``)."""
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"), unique=True)
    """The token this one was rotated to; set once, so that a token has at most one
    successor and a token being rotated away cannot mint more."""
