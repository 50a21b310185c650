"""Authenticating an API request, and recording that a token was used or refused."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.log import ANONYMOUS, Actor, record
from docex.db.engine import unit_of_work
from docex.domain import Outcome
from docex.errors import AuthenticationError
from docex.registry.records import Principal
from docex.registry.tokens import TokenPolicy, authenticate
from docex.services.refusals import RefusalCounter


def authenticate_request(
    *,
    sessions: sessionmaker[Session],
    policy: TokenPolicy,
    token: str,
    method: str,
    path: str,
    refusals: RefusalCounter | None = None,
    client: str = "unknown",
    admit: Callable[[Principal], None] | None = None,
) -> Principal:
    """Who ``token`` speaks for, recorded as ``token.use``; or ``AuthenticationError``,
    recorded as ``token.refused`` with the token's public lookup id, never its secret.

    Called once per request, so each request leaves exactly one of the two entries;
    except that, given ``refusals``, a token docex never issued is only counted there
    (per window and ``client`` address, see :mod:`docex.services.refusals`). ``admit``
    may refuse an authenticated principal (a rate limit) by raising; then nothing is
    recorded, so that a token over its limit cannot grow the audit log either.
    """
    request = {"method": method, "path": path[:200]}
    try:
        with unit_of_work(sessions) as session:
            principal = authenticate(session, policy=policy, token=token)
            if admit is not None:
                admit(principal)
            record(
                session,
                actor=Actor.from_principal(principal),
                action=actions.TOKEN_USE,
                outcome=Outcome.OK,
                target_type=actions.API_TOKEN,
                target_id=str(principal.token_id),
                details=request,
            )
    except AuthenticationError as exc:
        if refusals is not None and exc.token_id is None:
            refusals.count(
                client=client, reason=exc.reason or "none", lookup_id=exc.lookup_id, path=path
            )
            raise
        # The authentication transaction changed nothing worth keeping; the refusal is
        # recorded on its own.
        with unit_of_work(sessions) as session:
            record(
                session,
                actor=ANONYMOUS,
                action=actions.TOKEN_REFUSED,
                outcome=Outcome.REFUSED,
                target_type=actions.API_TOKEN,
                target_id=None if exc.token_id is None else str(exc.token_id),
                details={**request, "reason": exc.reason, "lookup_id": exc.lookup_id},
            )
        raise
    return principal
