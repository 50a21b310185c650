"""The API's token check on a Core connection in autocommit (``defer_use``): one statement,
no transaction, and still every refusal at the token's very next request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from docex.db import unit_of_work
from docex.domain import TokenRole
from docex.errors import AuthenticationError
from docex.registry import (
    TokenPolicy,
    add_facility,
    deactivate_facility,
    issue_token,
    list_tokens,
    revoke_token,
)
from docex.registry.records import IssuedToken
from docex.registry.tokens import rotate_token
from docex.services.authentication import authenticate_use

POLICY = TokenPolicy(
    pepper=b"c" * 32, touch_interval=timedelta(minutes=1), rotation_overlap=timedelta(hours=1)
)


@pytest.fixture
def issued(sessions: sessionmaker[Session]) -> IssuedToken:
    with unit_of_work(sessions) as session:
        clinic = add_facility(session, edrpou="22222222", name="Clinic")
        return issue_token(session, policy=POLICY, role=TokenRole.FACILITY, facility_id=clinic.id)


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every statement sent, and ``BEGIN`` for each transaction SQLAlchemy begins on a
    connection that is not in autocommit."""
    sent: list[str] = []

    def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement.split(None, 1)[0].upper())

    def began(conn: Any) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            sent.append("BEGIN")

    event.listen(engine, "before_cursor_execute", executed)
    event.listen(engine, "begin", began)
    yield sent
    event.remove(engine, "before_cursor_execute", executed)
    event.remove(engine, "begin", began)


def check(sessions: sessionmaker[Session], token: str) -> int:
    """The token check as ``POST /documents`` makes it; the token's id."""
    use = authenticate_use(
        sessions=sessions,
        policy=POLICY,
        token=token,
        method="POST",
        path="/api/v1/documents",
        defer_use=True,
    )
    assert not use.recorded  # the caller's transaction records it
    return use.principal.token_id


def test_one_select_without_a_transaction(
    sessions: sessionmaker[Session], issued: IssuedToken, statements: list[str]
) -> None:
    check(sessions, issued.token)  # the first use writes last_used_at
    assert statements == ["SELECT", "UPDATE"]
    statements.clear()
    assert check(sessions, issued.token) == issued.record.id
    # Within the touch interval: the lookup alone, and no BEGIN or COMMIT around it.
    assert statements == ["SELECT"]


def test_last_use_is_written_at_most_once_per_interval(
    sessions: sessionmaker[Session], issued: IssuedToken
) -> None:
    def last_used() -> datetime | None:
        with unit_of_work(sessions) as session:
            return list_tokens(session)[0].last_used_at

    before = datetime.now(UTC)
    check(sessions, issued.token)
    first = last_used()
    assert first is not None
    assert first >= before - timedelta(seconds=1)
    check(sessions, issued.token)
    assert last_used() == first


def test_revoked_token_is_refused_at_its_next_request(
    sessions: sessionmaker[Session], issued: IssuedToken
) -> None:
    check(sessions, issued.token)
    with unit_of_work(sessions) as session:
        revoke_token(session, token_id=issued.record.id)
    with pytest.raises(AuthenticationError) as refused:
        check(sessions, issued.token)
    assert refused.value.reason == "revoked"
    assert refused.value.token_id == issued.record.id


def test_rotated_out_token_is_refused_once_its_overlap_ends(
    sessions: sessionmaker[Session], issued: IssuedToken
) -> None:
    check(sessions, issued.token)
    with unit_of_work(sessions) as session:
        # Rotated two hours ago: its one-hour overlap is over.
        successor, _ = rotate_token(
            session,
            policy=POLICY,
            token_id=issued.record.id,
            now=datetime.now(UTC) - timedelta(hours=2),
        )
    with pytest.raises(AuthenticationError) as refused:
        check(sessions, issued.token)
    assert refused.value.reason == "expired"
    assert check(sessions, successor.token) == successor.record.id


def test_inactive_facility_and_wrong_secret_are_refused(
    sessions: sessionmaker[Session], issued: IssuedToken
) -> None:
    with pytest.raises(AuthenticationError) as wrong:
        check(sessions, issued.token[:-4] + "AAAA")
    assert wrong.value.reason == "wrong-secret"
    assert issued.record.facility_id is not None
    with unit_of_work(sessions) as session:
        deactivate_facility(session, facility_id=issued.record.facility_id)
    with pytest.raises(AuthenticationError) as inactive:
        check(sessions, issued.token)
    assert inactive.value.reason == "facility-inactive"
