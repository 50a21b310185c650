"""Resuming a web session: the token a session was opened with must still be good.

The session cookie carries the token's id, never the token; each page asks here whether
that token is still unrevoked and unexpired (and its facility active), so that revoking a token ends
its web sessions at the next click as it ends its API use.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.log import Actor, record
from docex.clock import utcnow
from docex.db.engine import unit_of_work
from docex.db.registry import ApiToken, Facility
from docex.domain import FacilityStatus, Outcome, TokenRole
from docex.errors import AuthenticationError
from docex.registry.records import Principal


def resume_session(
    *, sessions: sessionmaker[Session], token_id: int, method: str, path: str
) -> Principal:
    """Who a session opened with token ``token_id`` speaks for, recorded as ``token.use``;
    or ``AuthenticationError`` if the token was revoked or has expired, or its facility
    was deactivated."""
    with unit_of_work(sessions) as session:
        found = session.execute(
            select(ApiToken, Facility)
            .outerjoin(Facility, Facility.id == ApiToken.facility_id)
            .where(ApiToken.id == token_id)
        ).first()
        if found is None or found[0].revoked_at is not None:
            raise AuthenticationError("the session's token is revoked", reason="revoked")
        row, facility = found[0], found[1]
        # An expired token ends its web sessions as it ends its API use.
        if utcnow() >= row.expires_at:
            raise AuthenticationError("the session's token has expired", reason="expired")
        edrpou: str | None = None
        if row.role is TokenRole.FACILITY:
            if facility is None or facility.status is not FacilityStatus.ACTIVE:
                raise AuthenticationError(
                    "the session's facility is inactive", reason="facility-inactive"
                )
            edrpou = facility.edrpou
        principal = Principal(
            token_id=row.id, role=row.role, facility_id=row.facility_id, facility_edrpou=edrpou
        )
        record(
            session,
            actor=Actor.from_principal(principal),
            action=actions.TOKEN_USE,
            outcome=Outcome.OK,
            target_type=actions.API_TOKEN,
            target_id=str(row.id),
            details={"method": method, "path": path[:200], "via": "web-session"},
        )
    return principal
