"""An idle dispatcher's poll: one indexed statement outside any transaction.

Every API worker polls the outbox every ``poll_interval``. With nothing due, the poll
asks one question and takes no lock; with an event due, or one whose lease has run
out, it claims and delivers as before; an event leased by another dispatcher, or not
due yet, is not claimed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from docex.webhooks.outbox import OutboxEventRecord
from tests.webhooks.conftest import POLICY, Clock, Dispatchers
from tests.webhooks.receiver import Receiver

Statements = list[tuple[str, str | None]]


@pytest.fixture
def statements(engine: Engine) -> Iterator[Statements]:
    """Every statement sent to the database meanwhile, with its isolation level."""
    seen: Statements = []

    def record(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append((statement, conn.get_execution_options().get("isolation_level")))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_nothing_due_is_one_statement_in_autocommit(
    dispatchers: Dispatchers, statements: Statements
) -> None:
    stats = dispatchers.make().dispatch_due()
    assert stats.claimed == 0
    assert len(statements) == 1
    sql, isolation = statements[0]
    assert isolation == "AUTOCOMMIT"
    assert "FOR UPDATE" not in sql.upper()
    assert "outbox_events" in sql


def test_a_due_event_is_claimed_and_delivered(
    dispatchers: Dispatchers,
    subscribed: int,
    emit: Callable[..., OutboxEventRecord],
    receiver: Receiver,
    statements: Statements,
) -> None:
    sent = emit(subscribed)
    statements.clear()
    stats = dispatchers.make().dispatch_due()
    assert (stats.claimed, stats.delivered) == (1, 1)
    assert receiver.processed == {str(sent.event_id): 1}
    # The check, then the claim in a transaction of its own.
    assert statements[0][1] == "AUTOCOMMIT"
    assert any(isolation != "AUTOCOMMIT" for _, isolation in statements[1:])


def test_not_yet_due_and_leased_events_are_left(
    dispatchers: Dispatchers,
    subscribed: int,
    emit: Callable[..., OutboxEventRecord],
    receiver: Receiver,
    clock: Clock,
    statements: Statements,
) -> None:
    emit(subscribed)
    # Due in the future: the clock goes back a second.
    clock.advance(timedelta(seconds=-1))
    assert dispatchers.make().dispatch_due().claimed == 0
    clock.advance(timedelta(seconds=1))
    # Leased by another dispatcher, whose claim committed: not due until its lease ends.
    other = dispatchers.make()
    claims, _ = other._claim(clock(), 1)
    assert len(claims) == 1
    statements.clear()
    assert dispatchers.make().dispatch_due().claimed == 0
    assert len(statements) == 1
    assert receiver.requests == []
    clock.advance(POLICY.lease(1) + timedelta(seconds=1))
    assert dispatchers.make().dispatch_due().delivered == 1
