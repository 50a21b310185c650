"""Two rotations of one token at once, on two real connections: one successor, one
refusal naming it, each audited.

The first rotation is held once it has locked the token and inserted its successor (a
hook on the engine's statements, before it records the successor) until the second has
read the token: on PostgreSQL the second then waits on the row lock that the
first's ``SELECT … FOR UPDATE`` holds; on SQLite, which has no row locks, it has read the
token and waits for the write lock at its ``INSERT``. Only then does the first commit.
No sleeps: every step waits for the one before it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.log import SYSTEM
from docex.domain import Outcome, TokenRole
from docex.errors import ConflictError
from docex.services.tokens import RotatedToken, issue_token, list_tokens, rotate_token
from tests.services.conftest import POLICY, audit_entries

_BOUND_SECONDS = 30.0


@pytest.fixture(params=["sqlite-local", "postgres-s3"])
def backend_name(request: pytest.FixtureRequest) -> str:
    """Both databases: PostgreSQL's row lock and SQLite's single writer."""
    return str(request.param)


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + _BOUND_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "the second rotation never got where it must"
        time.sleep(0.01)


def _backends_waiting_on_a_lock(engine: Engine) -> int:
    # A connection of its own each time: within a transaction, pg_stat_activity is a snapshot.
    with engine.connect() as watcher:
        waiting: int = watcher.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        ).scalar_one()
    return waiting


def test_two_concurrent_rotations_give_one_successor_and_one_refusal(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    old = issue_token(sessions=sessions, policy=POLICY, actor=SYSTEM, role=TokenRole.AUDITOR)
    first_holds_the_token = threading.Event()
    second_has_read = threading.Event()
    second_reached_insert = threading.Event()
    results: dict[str, RotatedToken | BaseException] = {}
    first: threading.Thread | None = None

    def hold_first_and_note_second(
        _conn: Connection, _cursor: Any, statement: str, *_args: Any, **_kw: Any
    ) -> None:
        this = threading.current_thread()
        if this is first and statement.startswith("UPDATE api_tokens SET expires_at"):
            first_holds_the_token.set()
            assert second_has_read.wait(_BOUND_SECONDS)
        elif this is second and statement.startswith("INSERT INTO api_tokens"):
            second_reached_insert.set()

    def rotate(name: str) -> None:
        try:
            results[name] = rotate_token(
                sessions=sessions, policy=POLICY, actor=SYSTEM, token_id=old.record.id
            )
        except BaseException as exc:
            results[name] = exc

    first = threading.Thread(target=rotate, args=("first",))
    second = threading.Thread(target=rotate, args=("second",))
    event.listen(engine, "before_cursor_execute", hold_first_and_note_second)
    try:
        first.start()
        assert first_holds_the_token.wait(_BOUND_SECONDS)
        second.start()
        if engine.dialect.name == "postgresql":
            _wait_until(lambda: _backends_waiting_on_a_lock(engine) == 1)
        else:
            _wait_until(second_reached_insert.is_set)
        second_has_read.set()
        first.join(_BOUND_SECONDS)
        second.join(_BOUND_SECONDS)
    finally:
        second_has_read.set()
        event.remove(engine, "before_cursor_execute", hold_first_and_note_second)
    assert not first.is_alive()
    assert not second.is_alive()

    won = results["first"]
    assert isinstance(won, RotatedToken), won
    successor_id = won.successor.record.id
    reason = (
        f"API token {old.record.id} was already rotated to token {successor_id}; "
        "rotate or revoke that one instead"
    )
    lost = results["second"]
    assert isinstance(lost, ConflictError), lost
    assert str(lost) == reason
    assert [(t.token.id, t.token.successor_id) for t in list_tokens(sessions=sessions)] == [
        (old.record.id, successor_id),
        (successor_id, None),
    ]
    rotations = audit_entries(sessions, actions.TOKEN_ROTATE)
    assert [(e.outcome, e.target_id) for e in rotations] == [
        (Outcome.OK, str(old.record.id)),
        (Outcome.REFUSED, str(old.record.id)),
    ]
    assert rotations[0].details["successor_id"] == str(successor_id)
    assert rotations[1].details == {"code": "conflict", "reason": reason}
    assert len(audit_entries(sessions, actions.TOKEN_ISSUE)) == 1
