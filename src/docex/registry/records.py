"""Values the registry hands out: frozen snapshots, not live ORM rows.

Callers keep them after the session closes and cannot change the database through them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from docex.db.registry import ApiToken, Employee, Facility
from docex.domain import EmployeeRole, FacilityStatus, TokenRole


@dataclass(frozen=True, slots=True, kw_only=True)
class FacilityRecord:
    """A healthcare facility registered with the exchange."""

    id: int
    edrpou: str
    name: str
    status: FacilityStatus
    created_at: datetime
    deactivated_at: datetime | None

    @property
    def active(self) -> bool:
        """Whether the facility may use the exchange."""
        return self.status is FacilityStatus.ACTIVE

    @classmethod
    def of(cls, row: Facility) -> FacilityRecord:
        """Snapshot of a ``facilities`` row."""
        return cls(
            id=row.id,
            edrpou=row.edrpou,
            name=row.name,
            status=row.status,
            created_at=row.created_at,
            deactivated_at=row.deactivated_at,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class EmployeeRecord:
    """A person employed by a facility."""

    id: int
    facility_id: int
    rnokpp: str
    full_name: str
    role: EmployeeRole
    active: bool
    created_at: datetime
    deactivated_at: datetime | None

    @classmethod
    def of(cls, row: Employee) -> EmployeeRecord:
        """Snapshot of an ``employees`` row."""
        return cls(
            id=row.id,
            facility_id=row.facility_id,
            rnokpp=row.rnokpp,
            full_name=row.full_name,
            role=row.role,
            active=row.active,
            created_at=row.created_at,
            deactivated_at=row.deactivated_at,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRecord:
    """What is known about an API token; never its secret."""

    id: int
    lookup_id: str
    role: TokenRole
    facility_id: int | None
    label: str | None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    expires_at: datetime
    successor_id: int | None
    """The token this one was rotated to, if it was."""

    @property
    def revoked(self) -> bool:
        """Whether the token has been revoked."""
        return self.revoked_at is not None

    def status_at(self, moment: datetime) -> str:
        """``revoked``, ``expired`` or ``active`` at ``moment`` (revocation wins)."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if moment >= self.expires_at else "active"

    @classmethod
    def of(cls, row: ApiToken) -> TokenRecord:
        """Snapshot of an ``api_tokens`` row."""
        return cls(
            id=row.id,
            lookup_id=row.lookup_id,
            role=row.role,
            facility_id=row.facility_id,
            label=row.label,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
            successor_id=row.successor_id,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedToken:
    """A freshly issued token: the only time its plaintext exists on the server side."""

    token: str = field(repr=False)
    """Give this to the client once; only a keyed hash of it is stored."""
    record: TokenRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """Who an authenticated request speaks for."""

    token_id: int
    role: TokenRole
    facility_id: int | None
    """The facility of a ``facility`` token; ``None`` for an auditor."""
    facility_edrpou: str | None

    @property
    def is_auditor(self) -> bool:
        """Whether the principal is an auditor (reads everything, submits nothing)."""
        return self.role is TokenRole.AUDITOR
