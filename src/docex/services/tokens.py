"""Issuing, rotating, listing and revoking API tokens: the operator's use cases, each
change audited, each refused change audited as a refusal.

A token's plaintext exists only in the :class:`~docex.registry.records.IssuedToken` that
:func:`issue_token` and :func:`rotate_token` return; audit entries name the token by id,
role and facility, never by its secret nor its label (free text, often a person's name).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.clock import now_or
from docex.db.engine import unit_of_work
from docex.db.registry import Facility
from docex.domain import TokenRole
from docex.errors import InputError
from docex.registry import facilities, tokens
from docex.registry.records import IssuedToken, TokenRecord
from docex.registry.tokens import TokenPolicy
from docex.services.admin_audit import AdminActor, audited_refusals, record_change


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenListing:
    """A token and the EDRPOU of the facility it speaks for (``None`` for an auditor)."""

    facility_edrpou: str | None
    token: TokenRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class RotatedToken:
    """The successor of a rotated token (with its plaintext) and the old token, whose
    expiry is now at most the rotation overlap away."""

    successor: IssuedToken
    previous: TokenRecord


def issue_token(
    *,
    sessions: sessionmaker[Session],
    policy: TokenPolicy,
    actor: AdminActor,
    role: TokenRole,
    facility_edrpou: str | None = None,
    label: str | None = None,
    lifetime: timedelta | None = None,
) -> IssuedToken:
    """Issue a token for an active facility (``role=FACILITY`` with its EDRPOU) or an
    auditor (no facility), valid for ``lifetime`` (the policy's by default), recorded as
    ``token.issue`` with its role and expiry.

    ``InputError`` if the role and the facility disagree or the lifetime is out of bounds,
    ``NotFoundError`` for an unknown facility, ``ConflictError`` for an inactive one; each
    recorded as a refused ``token.issue``.
    """
    with audited_refusals(
        sessions,
        actor=actor,
        action=actions.TOKEN_ISSUE,
        target_type=actions.API_TOKEN,
        # What the operator typed, cut short: a refused code may be any string.
        details={"role": role.value, "facility_edrpou": _typed(facility_edrpou)},
    ):
        if (role is TokenRole.FACILITY) != (facility_edrpou is not None):
            raise InputError("a facility token needs a facility; an auditor token has none")
        with unit_of_work(sessions) as session:
            facility_id = None
            if facility_edrpou is not None:
                facility_id = facilities.get_facility_by_edrpou(session, edrpou=facility_edrpou).id
            return issue_token_in(
                session,
                policy=policy,
                actor=actor,
                role=role,
                facility_id=facility_id,
                label=label,
                lifetime=lifetime,
            )


def issue_token_in(
    session: Session,
    *,
    policy: TokenPolicy,
    actor: AdminActor,
    role: TokenRole,
    facility_id: int | None = None,
    label: str | None = None,
    lifetime: timedelta | None = None,
) -> IssuedToken:
    """:func:`issue_token` inside the caller's unit of work (demo seeding issues several)."""
    issued = tokens.issue_token(
        session, policy=policy, role=role, facility_id=facility_id, label=label, lifetime=lifetime
    )
    record_change(
        session,
        actor=actor,
        action=actions.TOKEN_ISSUE,
        target_type=actions.API_TOKEN,
        target_id=str(issued.record.id),
        details={
            "role": issued.record.role.value,
            "facility_edrpou": _edrpou(session, facility_id),
            "expires_at": issued.record.expires_at.isoformat(),
        },
    )
    return issued


def rotate_token(
    *,
    sessions: sessionmaker[Session],
    policy: TokenPolicy,
    actor: AdminActor,
    token_id: int,
    now: datetime | None = None,
) -> RotatedToken:
    """Issue a successor with the same role, facility and label, record it as the old
    token's successor and let the old token work only ``policy.rotation_overlap`` longer,
    recorded as one ``token.rotate``.

    ``NotFoundError`` for an unknown id, ``ConflictError`` for a token rotated before
    (naming its successor: a token has one) or a revoked or expired one; each recorded as
    a refused ``token.rotate``.
    """
    with (
        audited_refusals(
            sessions,
            actor=actor,
            action=actions.TOKEN_ROTATE,
            target_type=actions.API_TOKEN,
            target_id=str(token_id),
        ),
        unit_of_work(sessions) as session,
    ):
        successor, previous = tokens.rotate_token(
            session, policy=policy, token_id=token_id, now=now_or(now)
        )
        record_change(
            session,
            actor=actor,
            action=actions.TOKEN_ROTATE,
            target_type=actions.API_TOKEN,
            target_id=str(previous.id),
            details={
                "role": previous.role.value,
                "facility_edrpou": _edrpou(session, previous.facility_id),
                "successor_id": str(successor.record.id),
                "expires_at": previous.expires_at.isoformat(),
                "successor_expires_at": successor.record.expires_at.isoformat(),
            },
        )
        return RotatedToken(successor=successor, previous=previous)


def list_tokens(
    *,
    sessions: sessionmaker[Session],
    facility_edrpou: str | None = None,
    include_revoked: bool = False,
) -> list[TokenListing]:
    """Tokens oldest first, of one facility or all; never their secrets."""
    with unit_of_work(sessions) as session:
        facility_id = None
        if facility_edrpou is not None:
            facility_id = facilities.get_facility_by_edrpou(session, edrpou=facility_edrpou).id
        edrpou = {
            f.id: f.edrpou for f in facilities.list_facilities(session, include_inactive=True)
        }
        return [
            TokenListing(
                facility_edrpou=None if t.facility_id is None else edrpou[t.facility_id], token=t
            )
            for t in tokens.list_tokens(
                session, facility_id=facility_id, include_revoked=include_revoked
            )
        ]


def revoke_token(
    *, sessions: sessionmaker[Session], actor: AdminActor, token_id: int
) -> TokenRecord:
    """Revoke a token for good, recorded as ``token.revoke`` with its role.

    Revoking it again keeps the first revocation time and records nothing;
    ``NotFoundError`` for an unknown id, recorded as a refused ``token.revoke``.
    """
    with (
        audited_refusals(
            sessions,
            actor=actor,
            action=actions.TOKEN_REVOKE,
            target_type=actions.API_TOKEN,
            target_id=str(token_id),
        ),
        unit_of_work(sessions) as session,
    ):
        now = now_or(None)
        token = tokens.revoke_token(session, token_id=token_id, now=now)
        # An earlier revocation keeps its own time: then this call changed nothing.
        if token.revoked_at == now:
            record_change(
                session,
                actor=actor,
                action=actions.TOKEN_REVOKE,
                target_type=actions.API_TOKEN,
                target_id=str(token.id),
                details={
                    "role": token.role.value,
                    "facility_edrpou": _edrpou(session, token.facility_id),
                },
            )
        return token


def _typed(code: str | None) -> str | None:
    return None if code is None else code[:32]


def _edrpou(session: Session, facility_id: int | None) -> str | None:
    """The facility's EDRPOU, as the audit trail names facilities (never by internal id)."""
    if facility_id is None:
        return None
    facility = session.get(Facility, facility_id)
    return None if facility is None else facility.edrpou
