"""One slow receiver cannot stall the others (issue 13): a slow-loris receiver beside a
healthy one, both real servers on 127.0.0.1, and the dispatcher in both of its modes."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from docex.db import unit_of_work
from docex.db.webhooks import OutboxEvent
from docex.domain import OutboxStatus
from docex.registry import add_facility
from docex.webhooks.dispatcher import Dispatcher, dispatching_in_background
from docex.webhooks.outbox import OutboxEventRecord
from docex.webhooks.subscriptions import register_webhook
from tests.outbound.rawserver import RawServer, raw_server
from tests.webhooks.conftest import DEV_URLS, POLICY, Clock, dev_transport
from tests.webhooks.receiver import Receiver

Emit = Callable[..., OutboxEventRecord]

DEADLINE = 3.0
"""The per-request deadline in these tests; a healthy receiver answers in milliseconds."""


def _slow_loris(conn: socket.socket) -> None:
    # Every read of the dispatcher gets a byte, so no per-read timeout ever fires.
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"z" * 1000:
        conn.sendall(bytes([byte]))
        time.sleep(0.2)


@pytest.fixture
def slow_receiver() -> Iterator[RawServer]:
    with raw_server(_slow_loris) as server:
        yield server


@pytest.fixture
def slow_facility(sessions: sessionmaker[Session], slow_receiver: RawServer) -> int:
    with unit_of_work(sessions) as session:
        facility = add_facility(session, edrpou="40112233", name="Clinic with a slow receiver")
        register_webhook(
            session,
            facility_id=facility.id,
            url=f"http://127.0.0.1:{slow_receiver.port}/hooks",
            policy=DEV_URLS,
        )
        return facility.id


def _statuses(
    sessions: sessionmaker[Session], events: list[OutboxEventRecord]
) -> list[tuple[OutboxStatus, str | None]]:
    with unit_of_work(sessions) as session:
        rows = session.scalars(
            select(OutboxEvent).where(OutboxEvent.event_id.in_([e.event_id for e in events]))
        ).all()
        return [(r.status, r.last_error) for r in rows]


def test_a_pass_delivers_to_a_healthy_receiver_while_a_slow_one_hangs(
    sessions: sessionmaker[Session],
    clock: Clock,
    subscribed: int,
    receiver: Receiver,
    slow_facility: int,
    slow_receiver: RawServer,
    emit: Emit,
) -> None:
    # The slow receiver's events come first, as in the review's reproduction.
    slow_events = [emit(slow_facility, n) for n in range(3)]
    fast_events = [emit(subscribed, n) for n in range(3)]
    dispatcher = Dispatcher(
        sessions,
        transport=dev_transport(),
        policy=replace(POLICY, request_timeout=DEADLINE),
        clock=clock,
    )
    started = time.monotonic()
    stats = []
    sender = threading.Thread(target=lambda: stats.append(dispatcher.dispatch_due()))
    sender.start()
    try:
        receiver.wait_processed(3, timeout=DEADLINE)
        fast = time.monotonic() - started
    finally:
        sender.join(timeout=30)
        dispatcher.close()
    # Delivered before the slow receiver's first request even reached its deadline.
    assert fast < DEADLINE * 0.8
    assert _statuses(sessions, fast_events) == [(OutboxStatus.DELIVERED, None)] * 3
    # The slow receiver got one event at a time, each cut off at the deadline.
    assert _statuses(sessions, slow_events) == [(OutboxStatus.PENDING, "timeout")] * 3
    assert slow_receiver.connections == 3
    [pass_stats] = stats
    assert (pass_stats.delivered, pass_stats.failed) == (3, 3)


def test_the_background_dispatcher_keeps_delivering_beside_a_slow_receiver(
    sessions: sessionmaker[Session],
    subscribed: int,
    receiver: Receiver,
    slow_facility: int,
    slow_receiver: RawServer,
    emit: Emit,
) -> None:
    for n in range(5):
        emit(slow_facility, n)
    dispatcher = Dispatcher(
        sessions,
        transport=dev_transport(),
        policy=replace(POLICY, request_timeout=DEADLINE, concurrency=4),
    )
    with dispatching_in_background(dispatcher):
        # Wait until the slow receiver holds a request, then record the healthy one's
        # events one by one, as deliveries happen: each arrives while the slow POST hangs.
        deadline = time.monotonic() + 5
        while slow_receiver.connections == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert slow_receiver.connections == 1
        for n in range(4):
            recorded = time.monotonic()
            emit(subscribed, n)
            receiver.wait_processed(n + 1, timeout=DEADLINE)
            # The poll interval, not the slow receiver, bounds how long an event waits.
            assert time.monotonic() - recorded < 1.0
        # Still one request at a time to the slow receiver: its bound is one worker.
        assert slow_receiver.connections == 1
