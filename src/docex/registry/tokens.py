"""API tokens: issue, revoke, authenticate.

A token reads ``dxt_<lookup id>_<secret>``. The lookup id finds the row without comparing
against every stored hash; the 32 random bytes of the secret make guessing hopeless. The
database keeps only HMAC-SHA-256 of the whole token under a server-side pepper, so a
leaked table lets no one authenticate nor test candidate tokens offline.

A fast keyed hash is enough: slow password hashes (argon2, bcrypt) protect low-entropy
secrets people choose, and would cost tens of milliseconds on every API request here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Select, Table, Update, bindparam, select, update
from sqlalchemy.orm import Session

from docex.clock import now_or
from docex.db.engine import flush_or_conflict
from docex.db.registry import ApiToken, Facility
from docex.domain import FacilityStatus, TokenRole
from docex.errors import AuthenticationError, ConflictError, InputError, NotFoundError
from docex.registry.facilities import get_facility
from docex.registry.records import IssuedToken, Principal, TokenRecord
from docex.settings import Settings

TOKEN_SCHEME = "dxt"  # noqa: S105  # a public prefix, not a secret
"""Marks docex tokens, so that secret scanners and people can recognise a leaked one."""

_LOOKUP_BYTES = 8
_SECRET_BYTES = 32
_LOOKUP_HEX_LENGTH = 2 * _LOOKUP_BYTES
# Any well-formed token is far shorter; refusing longer ones bounds the work per request.
_MAX_TOKEN_LENGTH = 128
MAX_LABEL_LENGTH = 200
MAX_LIFETIME = timedelta(days=3650)
"""Longer than any credential should live unrotated; a bound against typing mistakes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenPolicy:
    """How tokens are hashed, how long they live and how often their use is recorded."""

    pepper: bytes = field(repr=False)
    touch_interval: timedelta = timedelta(seconds=60)
    lifetime: timedelta = timedelta(days=90)
    """How long a token issued without an explicit lifetime stays valid."""
    rotation_overlap: timedelta = timedelta(hours=24)
    """How long a rotated token keeps working beside its successor."""

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenPolicy:
        """The policy the deployment configured (pepper, lifetime, overlap, touch interval)."""
        return cls(
            pepper=settings.token_pepper.get_secret_value().encode("utf-8"),
            touch_interval=timedelta(seconds=settings.token_touch_interval_seconds),
            lifetime=timedelta(days=settings.token_lifetime_days),
            rotation_overlap=timedelta(hours=settings.token_rotation_overlap_hours),
        )

    def digest(self, token: str) -> str:
        """Hex HMAC-SHA-256 of ``token`` under the pepper: what the database stores."""
        return hmac.new(self.pepper, token.encode("utf-8"), hashlib.sha256).hexdigest()


def issue_token(
    session: Session,
    *,
    policy: TokenPolicy,
    role: TokenRole,
    facility_id: int | None = None,
    label: str | None = None,
    lifetime: timedelta | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    """Create a token for an active facility (``role=FACILITY``) or an auditor, valid for
    ``lifetime`` (``policy.lifetime`` by default) from ``now``.

    The plaintext is in the result and nowhere else; it cannot be recovered later.
    """
    lifetime = policy.lifetime if lifetime is None else lifetime
    if lifetime <= timedelta(0) or lifetime > MAX_LIFETIME:
        raise InputError(f"a token lives more than 0 and at most {MAX_LIFETIME.days} days")
    moment = now_or(now)
    if role is TokenRole.FACILITY:
        if facility_id is None:
            raise InputError("a facility token needs a facility")
        facility = get_facility(session, facility_id=facility_id)
        if not facility.active:
            raise ConflictError(f"facility {facility.edrpou} is inactive")
    elif facility_id is not None:
        raise InputError("an auditor token belongs to no facility")
    if label is not None and len(label) > MAX_LABEL_LENGTH:
        raise InputError(f"token label is longer than {MAX_LABEL_LENGTH} characters")
    lookup_id = secrets.token_hex(_LOOKUP_BYTES)
    token = f"{TOKEN_SCHEME}_{lookup_id}_{secrets.token_urlsafe(_SECRET_BYTES)}"
    row = ApiToken(
        lookup_id=lookup_id,
        secret_hash=policy.digest(token),
        facility_id=facility_id,
        role=role,
        label=label,
        created_at=moment,
        expires_at=moment + lifetime,
    )
    session.add(row)
    # A lookup id collision (1 in 2**64) surfaces as a conflict; issuing again fixes it.
    flush_or_conflict(session, "token id collision; issue the token again")
    return IssuedToken(token=token, record=TokenRecord.of(row))


def revoke_token(session: Session, *, token_id: int, now: datetime | None = None) -> TokenRecord:
    """Revoke a token for good; revoking it again keeps the first revocation time."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError(f"no API token with id {token_id}")
    if row.revoked_at is None:
        row.revoked_at = now_or(now)
        session.flush()
    return TokenRecord.of(row)


def rotate_token(
    session: Session, *, policy: TokenPolicy, token_id: int, now: datetime | None = None
) -> tuple[IssuedToken, TokenRecord]:
    """Issue a successor to a valid token with the same role, facility and label, record
    it as the token's successor, and cut the old one's life to ``policy.rotation_overlap``
    from ``now`` (never lengthen it).

    Returns the successor (with its plaintext) and the old token as it now stands.
    ``NotFoundError`` for an unknown id; ``ConflictError`` for a token rotated before (a
    token has one successor, so that a token being rotated away cannot mint more), and for
    a revoked or expired one, which has nothing left to hand over.
    """
    moment = now_or(now)
    # On PostgreSQL the lock makes a concurrent rotation of the same token wait here and
    # then read the successor this one records.
    row = session.get(ApiToken, token_id, with_for_update=True)
    if row is None:
        raise NotFoundError(f"no API token with id {token_id}")
    if row.successor_id is not None:
        raise _already_rotated(token_id, row.successor_id)
    if row.revoked_at is not None:
        raise ConflictError(f"API token {token_id} is revoked; issue a new one instead")
    if moment >= row.expires_at:
        raise ConflictError(f"API token {token_id} has expired; issue a new one instead")
    successor = issue_token(
        session,
        policy=policy,
        role=row.role,
        facility_id=row.facility_id,
        label=row.label,
        now=moment,
    )
    # Claimed only if no successor is recorded yet: SQLite ignores FOR UPDATE, and a
    # rotation that read the row before another committed its successor finds it here
    # (its own successor is rolled back with the refusal).
    claimed = session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.successor_id.is_(None))
        .values(
            successor_id=successor.record.id,
            expires_at=min(row.expires_at, moment + policy.rotation_overlap),
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    if cast("CursorResult[Any]", claimed).rowcount != 1:
        raise _already_rotated(token_id, row.successor_id)
    return successor, TokenRecord.of(row)


def _already_rotated(token_id: int, successor_id: int | None) -> ConflictError:
    return ConflictError(
        f"API token {token_id} was already rotated to token {successor_id}; "
        "rotate or revoke that one instead"
    )


def list_tokens(
    session: Session, *, facility_id: int | None = None, include_revoked: bool = False
) -> list[TokenRecord]:
    """Tokens oldest first, of one facility if ``facility_id`` is given, else all."""
    query = select(ApiToken).order_by(ApiToken.id)
    if facility_id is not None:
        query = query.where(ApiToken.facility_id == facility_id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return [TokenRecord.of(row) for row in session.scalars(query)]


def _lookup_id(token: str) -> str | None:
    if len(token) > _MAX_TOKEN_LENGTH:
        return None
    scheme, _, rest = token.partition("_")
    lookup_id, _, secret = rest.partition("_")
    if scheme != TOKEN_SCHEME or len(lookup_id) != _LOOKUP_HEX_LENGTH or not secret:
        return None
    if any(c not in "0123456789abcdef" for c in lookup_id):
        return None
    return lookup_id


@cache
def _token_query() -> Select[
    int,
    str,
    TokenRole,
    int | None,
    datetime | None,
    datetime,
    datetime | None,
    FacilityStatus | None,
    str | None,
]:
    # Built once: every request runs it, and building the expression and its cache key
    # cost more CPU than the query itself. The lookup id is a bound parameter. Columns,
    # not ORM entities, on the tables: the check reads a few values and keeps nothing, so
    # loading two mapped objects into an identity map (and a session to hold them) is
    # work for nothing on every request.
    tokens, facilities = ApiToken.__table__, Facility.__table__
    return (
        select(
            tokens.c.id,
            tokens.c.secret_hash,
            tokens.c.role,
            tokens.c.facility_id,
            tokens.c.revoked_at,
            tokens.c.expires_at,
            tokens.c.last_used_at,
            facilities.c.status,
            facilities.c.edrpou,
        )
        .select_from(tokens.outerjoin(facilities, facilities.c.id == tokens.c.facility_id))
        .where(tokens.c.lookup_id == bindparam("lookup_id"))
    )


@cache
def _touch_statement() -> Update:
    # The last-use time, on the table (see _token_query); built once like it.
    tokens = cast("Table", ApiToken.__table__)
    return (
        update(tokens)
        .where(tokens.c.id == bindparam("token_id"))
        .values(last_used_at=bindparam("at"))
    )


def authenticate(
    session: Session | Connection,
    *,
    policy: TokenPolicy,
    token: str,
    now: datetime | None = None,
) -> Principal:
    """Who ``token`` speaks for, or ``AuthenticationError``.

    Fails alike for a malformed, unknown, wrong, revoked or expired token and for one whose
    facility is inactive. Records the use in ``last_used_at`` at most once per
    ``policy.touch_interval``; the caller's unit of work commits it. ``session`` may be a
    Core connection (the API's check runs on one in autocommit): only statements on the
    tables are run, and no mapped object is loaded or changed.
    """
    lookup_id = _lookup_id(token)
    row = None

    def refused(reason: str) -> AuthenticationError:
        # One message for every reason; the reason itself is for the audit log only.
        return AuthenticationError(
            "invalid or revoked API token",
            reason=reason,
            lookup_id=lookup_id,
            token_id=None if row is None else row.id,
        )

    if lookup_id is not None:
        # The token and its facility (if any) in one round trip: every request asks.
        row = session.execute(_token_query(), {"lookup_id": lookup_id}).first()
    # Hash even when there is no row, so that response time does not tell the two apart.
    presented = policy.digest(token)
    if row is None:
        raise refused("malformed" if lookup_id is None else "unknown")
    if not hmac.compare_digest(presented, row.secret_hash):
        raise refused("wrong-secret")
    if row.revoked_at is not None:
        raise refused("revoked")
    moment = now_or(now)
    if moment >= row.expires_at:
        raise refused("expired")
    edrpou: str | None = None
    if row.role is TokenRole.FACILITY:
        if row.status is not FacilityStatus.ACTIVE:
            raise refused("facility-inactive")
        edrpou = row.edrpou
    if row.last_used_at is None or moment - row.last_used_at >= policy.touch_interval:
        session.execute(_touch_statement(), {"token_id": row.id, "at": moment})
    return Principal(
        token_id=row.id, role=row.role, facility_id=row.facility_id, facility_edrpou=edrpou
    )
