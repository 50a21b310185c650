"""Issuing, listing and revoking API tokens: the operator's use cases, each change audited.

A token's plaintext exists only in the :class:`~docex.registry.records.IssuedToken` that
:func:`issue_token` returns; audit entries name the token by id, role and facility.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.log import Actor, record
from docex.clock import utcnow
from docex.db.engine import unit_of_work
from docex.db.registry import Facility
from docex.domain import Outcome, TokenRole
from docex.errors import InputError
from docex.registry import facilities, tokens
from docex.registry.records import IssuedToken, TokenRecord
from docex.registry.tokens import TokenPolicy


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenListing:
    """A token and the EDRPOU of the facility it speaks for (``None`` for an auditor)."""

    facility_edrpou: str | None
    token: TokenRecord


def issue_token(
    *,
    sessions: sessionmaker[Session],
    policy: TokenPolicy,
    actor: Actor,
    role: TokenRole,
    facility_edrpou: str | None = None,
    label: str | None = None,
) -> IssuedToken:
    """Issue a token for an active facility (``role=FACILITY`` with its EDRPOU) or an
    auditor (no facility), recorded as ``token.issue`` with its role.

    ``InputError`` if the role and the facility disagree, ``NotFoundError`` for an unknown
    facility, ``ConflictError`` for an inactive one.
    """
    if (role is TokenRole.FACILITY) != (facility_edrpou is not None):
        raise InputError("a facility token needs a facility; an auditor token has none")
    with unit_of_work(sessions) as session:
        facility_id = None
        if facility_edrpou is not None:
            facility_id = facilities.get_facility_by_edrpou(session, edrpou=facility_edrpou).id
        return issue_token_in(
            session, policy=policy, actor=actor, role=role, facility_id=facility_id, label=label
        )


def issue_token_in(
    session: Session,
    *,
    policy: TokenPolicy,
    actor: Actor,
    role: TokenRole,
    facility_id: int | None = None,
    label: str | None = None,
) -> IssuedToken:
    """:func:`issue_token` inside the caller's unit of work (demo seeding issues several)."""
    issued = tokens.issue_token(
        session, policy=policy, role=role, facility_id=facility_id, label=label
    )
    record(
        session,
        actor=actor,
        action=actions.TOKEN_ISSUE,
        outcome=Outcome.OK,
        target_type=actions.API_TOKEN,
        target_id=str(issued.record.id),
        # The label is free text an operator wrote (often a person's name): left out.
        details={
            "role": issued.record.role.value,
            "facility_edrpou": _edrpou(session, facility_id),
        },
    )
    return issued


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


def revoke_token(*, sessions: sessionmaker[Session], actor: Actor, token_id: int) -> TokenRecord:
    """Revoke a token for good, recorded as ``token.revoke`` with its role.

    Revoking it again keeps the first revocation time and records nothing;
    ``NotFoundError`` for an unknown id.
    """
    with unit_of_work(sessions) as session:
        now = utcnow()
        token = tokens.revoke_token(session, token_id=token_id, now=now)
        # An earlier revocation keeps its own time: then this call changed nothing.
        if token.revoked_at == now:
            record(
                session,
                actor=actor,
                action=actions.TOKEN_REVOKE,
                outcome=Outcome.OK,
                target_type=actions.API_TOKEN,
                target_id=str(token.id),
                details={
                    "role": token.role.value,
                    "facility_edrpou": _edrpou(session, token.facility_id),
                },
            )
        return token


def _edrpou(session: Session, facility_id: int | None) -> str | None:
    """The facility's EDRPOU, as the audit trail names facilities (never by internal id)."""
    if facility_id is None:
        return None
    facility = session.get(Facility, facility_id)
    return None if facility is None else facility.edrpou
