"""Authenticating an API request, and recording that a token was used or refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.log import ANONYMOUS, Actor, record
from docex.clock import utcnow
from docex.db.engine import autocommit_connection, unit_of_work
from docex.domain import Outcome
from docex.errors import AuthenticationError, DatabaseError
from docex.registry.records import Principal
from docex.registry.tokens import TokenPolicy, authenticate
from docex.services.refusals import RefusalCounter


@dataclass(kw_only=True)
class TokenUse:
    """An authenticated request whose ``token.use`` entry is still to be recorded.

    A submission records it in its own transaction (:func:`record_in`), so that the
    request makes one audit append and one transaction with writes instead of two; the
    entry says what it said when the token check recorded it on its own, at the time
    of the check. Whoever holds the use must see it recorded once: :func:`record_alone`
    records it in a transaction of its own when nothing else did.
    """

    principal: Principal
    method: str
    path: str
    at: datetime
    """When the token was checked: the entry's time."""
    recorded: bool = False
    """Set by the holder once a transaction holding the entry has committed."""

    def record_in(self, session: Session) -> None:
        """Add the entry to ``session``'s transaction; the caller marks it ``recorded``
        once that transaction commits."""
        record(
            session,
            actor=Actor.from_principal(self.principal),
            action=actions.TOKEN_USE,
            outcome=Outcome.OK,
            target_type=actions.API_TOKEN,
            target_id=str(self.principal.token_id),
            details={"method": self.method, "path": self.path},
            now=self.at,
        )

    def record_alone(self, sessions: sessionmaker[Session]) -> None:
        """Record the entry in a transaction of its own, unless it was recorded already.

        For a request that failed before any of its transactions committed. A database
        failure here is not raised: the caller is answering with the failure that
        stopped its own work (most likely the same one), and the entry is lost with it,
        as it would have been had the database failed during the token check.
        """
        if self.recorded:
            return
        try:
            with unit_of_work(sessions) as session:
                self.record_in(session)
        except DatabaseError:
            return
        self.recorded = True


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
    recorded as ``token.refused``: :func:`authenticate_use` with the use recorded here."""
    use = authenticate_use(
        sessions=sessions,
        policy=policy,
        token=token,
        method=method,
        path=path,
        refusals=refusals,
        client=client,
        admit=admit,
    )
    return use.principal


def authenticate_use(
    *,
    sessions: sessionmaker[Session],
    policy: TokenPolicy,
    token: str,
    method: str,
    path: str,
    refusals: RefusalCounter | None = None,
    client: str = "unknown",
    admit: Callable[[Principal], None] | None = None,
    defer_use: bool = False,
) -> TokenUse:
    """Who ``token`` speaks for, recorded as ``token.use``; or ``AuthenticationError``,
    recorded as ``token.refused`` with the token's public lookup id, never its secret.

    Called once per request, so each request leaves exactly one of the two entries;
    except that, given ``refusals``, a token docex never issued is only counted there
    (per window and ``client`` address, see :mod:`docex.services.refusals`). ``admit``
    may refuse an authenticated principal (a rate limit) by raising; then nothing is
    recorded, so that a token over its limit cannot grow the audit log either.

    The use is recorded here, in the token check's transaction, unless ``defer_use``:
    then the caller records the :class:`TokenUse` returned (not yet ``recorded``) in
    its own transaction, and the check, which then writes nothing but an occasional
    last-use time (one statement), runs without a transaction of its own
    (:func:`~docex.db.engine.autocommit_connection`). A refusal is recorded here either way.
    """
    request = {"method": method, "path": path[:200]}
    try:
        if defer_use:
            # Nothing to record: a Core connection in autocommit, no session (creating
            # one, its identity map and its commit cost more CPU than the query).
            with autocommit_connection(sessions) as connection:
                use = _checked(connection, policy, token, admit, method, request["path"])
        else:
            with unit_of_work(sessions) as session:
                use = _checked(session, policy, token, admit, method, request["path"])
                use.record_in(session)
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
    # Committed by now: recorded unless deferred.
    use.recorded = not defer_use
    return use


def _checked(
    connection: Session | Connection,
    policy: TokenPolicy,
    token: str,
    admit: Callable[[Principal], None] | None,
    method: str,
    path: str,
) -> TokenUse:
    """The token checked on ``connection`` (and admitted), as a use not yet recorded."""
    at = utcnow()
    principal = authenticate(connection, policy=policy, token=token, now=at)
    if admit is not None:
        admit(principal)
    return TokenUse(principal=principal, method=method, path=path, at=at)
