"""The dispatcher against a real HTTP receiver, on SQLite and on PostgreSQL.

Time is a clock the tests move, so a day of retries takes milliseconds; only the
background-thread test runs on the wall clock.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from docex.db import create_engine_from_settings, session_factory, unit_of_work
from docex.db.webhooks import OutboxEvent
from docex.domain import OutboxStatus
from docex.webhooks.dispatcher import (
    JITTER,
    Dispatcher,
    DispatchStats,
    dispatching_in_background,
    retry_delay,
)
from docex.webhooks.outbox import OutboxEventRecord, replay_event
from docex.webhooks.signing import verify_signature
from docex.webhooks.subscriptions import delete_webhook
from docex.webhooks.transport import (
    DeliveryOutcome,
    PolicedTransport,
    WebhookTransport,
)
from tests.conftest import Backend
from tests.webhooks.conftest import POLICY, Clock, Dispatchers, dev_transport
from tests.webhooks.receiver import Receiver

Emit = Callable[..., OutboxEventRecord]


def _row(sessions: sessionmaker[Session], event: OutboxEventRecord) -> OutboxEvent:
    with unit_of_work(sessions) as session:
        row = session.scalar(select(OutboxEvent).where(OutboxEvent.event_id == event.event_id))
        assert row is not None
        session.expunge(row)
        return row


def _statuses(sessions: sessionmaker[Session]) -> Counter[OutboxStatus]:
    with unit_of_work(sessions) as session:
        return Counter(session.scalars(select(OutboxEvent.status)))


# ------------------------------------------------------------------- backoff (no I/O)


@pytest.mark.parametrize("failures", [1, 2, 3, 5, 9, 10, 11, 30, 500])
def test_retry_delay_doubles_up_to_the_cap_with_jitter(failures: int) -> None:
    rng = random.Random(failures)  # noqa: S311  # jitter, not cryptography
    ideal = min(POLICY.max_delay, POLICY.base_delay * 2 ** min(failures - 1, 20))
    delays = [retry_delay(failures, policy=POLICY, rng=rng) for _ in range(500)]
    assert all(ideal * JITTER[0] <= d < ideal * JITTER[1] for d in delays)
    # The jitter really spreads retries over most of the interval.
    assert min(delays) < ideal * 0.6
    assert max(delays) > ideal * 1.4


def test_retry_delay_first_values() -> None:
    class Midpoint(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return (a + b) / 2

    got = [retry_delay(n, policy=POLICY, rng=Midpoint()).total_seconds() for n in range(1, 12)]
    assert got == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]
    with pytest.raises(ValueError, match="from 1"):
        retry_delay(0, policy=POLICY, rng=Midpoint())


# ------------------------------------------------------------------------ delivering


@pytest.mark.parametrize("transport_kind", [dev_transport])
def test_delivers_a_signed_event_once(
    dispatchers: Dispatchers,
    sessions: sessionmaker[Session],
    subscribed: int,
    receiver: Receiver,
    emit: Emit,
    clock: Clock,
    transport_kind: Callable[[], WebhookTransport],
) -> None:
    event = emit(subscribed, 7)
    transport = transport_kind()
    try:
        stats = dispatchers.make(transport=transport).dispatch_due()
    finally:
        transport.close()
    assert stats == DispatchStats(claimed=1, delivered=1)
    [request] = receiver.requests
    assert request.path == "/hooks/docex"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["docex-event-id"] == str(event.event_id)
    assert request.headers["docex-event-type"] == "delivery.created"
    assert request.headers["user-agent"].startswith("docex-webhooks/")
    verify_signature(
        secret=receiver.secret,
        event_id=request.headers["docex-event-id"],
        body=request.body,
        header=request.headers["docex-signature"],
    )
    assert request.json() == {
        "event_id": str(event.event_id),
        "type": "delivery.created",
        "created_at": clock().isoformat(),
        "data": {"document_id": "doc-7", "number": 7},
    }
    assert receiver.bad_signatures == 0
    row = _row(sessions, event)
    assert row.status is OutboxStatus.DELIVERED
    assert row.attempts == 1
    assert row.delivered_at == clock()
    assert row.locked_until is None
    # Nothing is due any more.
    assert dispatchers.make().dispatch_due() == DispatchStats()
    assert len(receiver.requests) == 1


def test_failures_back_off_exponentially_then_deliver(
    dispatchers: Dispatchers,
    sessions: sessionmaker[Session],
    subscribed: int,
    receiver: Receiver,
    emit: Emit,
    clock: Clock,
) -> None:
    event = emit(subscribed)
    dispatcher = dispatchers.make()
    receiver.failing = True
    for failures in (1, 2, 3):
        assert dispatcher.dispatch_due() == DispatchStats(claimed=1, failed=1)
        row = _row(sessions, event)
        ideal = POLICY.base_delay * 2 ** (failures - 1)
        assert row.attempts == failures
        assert row.status is OutboxStatus.PENDING
        assert row.last_error == "HTTP 503"
        assert row.locked_until is None
        assert ideal * 0.5 <= row.next_attempt_at - clock() < ideal * 1.5
        # Not due before its time.
        clock.now = row.next_attempt_at - timedelta(milliseconds=1)
        assert dispatcher.dispatch_due() == DispatchStats()
        clock.now = row.next_attempt_at
    receiver.failing = False
    assert dispatcher.dispatch_due() == DispatchStats(claimed=1, delivered=1)
    assert _row(sessions, event).attempts == 4
    assert receiver.processed == Counter({str(event.event_id): 1})


def test_receiver_down_then_up_every_event_arrives_exactly_once(
    dispatchers: Dispatchers,
    sessions: sessionmaker[Session],
    subscribed: int,
    receiver: Receiver,
    emit: Emit,
    clock: Clock,
) -> None:
    # More events than one batch, so several passes are needed each time.
    events = [emit(subscribed, n) for n in range(25)]
    dispatcher = dispatchers.make()
    with receiver.down():
        down = dispatcher.drain()
        assert down == DispatchStats(claimed=25, failed=25)
        rows = [_row(sessions, e) for e in events]
        assert all(r.attempts == 1 and r.status is OutboxStatus.PENDING for r in rows)
        # A coarse class: a refused connection and a reset look alike to the facility.
        assert all(r.last_error == "unreachable" for r in rows)
        clock.advance(timedelta(seconds=30))
        assert dispatcher.drain().failed == 25
    assert receiver.requests == []
    clock.advance(timedelta(minutes=5))
    assert dispatcher.drain() == DispatchStats(claimed=25, delivered=25)
    expected = Counter({str(e.event_id): 1 for e in events})
    assert receiver.processed == expected
    assert receiver.delivery_counts == expected
    assert _statuses(sessions) == Counter({OutboxStatus.DELIVERED: 25})


class _Crash(BaseException):
    """The dispatcher's process dying: nothing after this runs."""


class _CrashAfterPost:
    """A real transport; the process dies right after the receiver answered."""

    def __init__(self, inner: WebhookTransport, *, before: bool = False) -> None:
        self._inner = inner
        self._before = before

    def post(
        self, url: str, *, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> DeliveryOutcome:
        if self._before:
            raise _Crash
        outcome = self._inner.post(url, body=body, headers=headers, timeout=timeout)
        raise _Crash(outcome)

    def close(self) -> None:
        self._inner.close()


def test_crash_after_post_resends_and_the_receiver_deduplicates(
    dispatchers: Dispatchers,
    sessions: sessionmaker[Session],
    subscribed: int,
    receiver: Receiver,
    emit: Emit,
    clock: Clock,
) -> None:
    events = [emit(subscribed, n) for n in range(3)]
    # One worker for the receiver, so that exactly one POST is made before the "crash".
    crashing = dispatchers.make(
        transport=_CrashAfterPost(dispatchers.transport), policy=replace(POLICY, per_receiver=1)
    )
    with pytest.raises(_Crash):
        crashing.dispatch_due()
    # The receiver has the first event; the database does not know.
    assert receiver.delivery_counts == Counter({str(events[0].event_id): 1})
    assert all(_row(sessions, e).status is OutboxStatus.PENDING for e in events)
    survivor = dispatchers.make()
    # The crashed dispatcher's lease still holds every event it claimed...
    assert survivor.dispatch_due() == DispatchStats()
    # ...until it expires.
    clock.advance(POLICY.lease(POLICY.batch_size))
    assert survivor.dispatch_due() == DispatchStats(claimed=3, delivered=3)
    first = str(events[0].event_id)
    # At least once: the first event was really sent twice...
    assert receiver.delivery_counts[first] == 2
    assert sum(receiver.delivery_counts.values()) == 4
    # ...and exactly once in effect, after de-duplication.
    assert receiver.processed == Counter({str(e.event_id): 1 for e in events})


def test_restart_between_outbox_write_and_dispatch(
    backend: Backend,
    subscribed: int,
    receiver: Receiver,
    emit: Emit,
    clock: Clock,
    transport: PolicedTransport,
) -> None:
    events = [emit(subscribed, n) for n in range(2)]
    # The first process claims the events and dies before sending anything.
    old_engine = create_engine_from_settings(backend.settings)
    old = Dispatcher(
        session_factory(old_engine),
        transport=_CrashAfterPost(transport, before=True),
        policy=POLICY,
        clock=clock,
    )
    with pytest.raises(_Crash):
        old.dispatch_due()
    old_engine.dispose()
    assert receiver.requests == []
    # A new process, with its own engine, finds the events once the lease ran out.
    clock.advance(POLICY.lease(POLICY.batch_size))
    new_engine = create_engine_from_settings(backend.settings)
    try:
        new = Dispatcher(
            session_factory(new_engine), transport=transport, policy=POLICY, clock=clock
        )
        assert new.dispatch_due() == DispatchStats(claimed=2, delivered=2)
    finally:
        new_engine.dispose()
    assert receiver.delivery_counts == Counter({str(e.event_id): 1 for e in events})


def test_past_the_retry_window_the_event_dies_and_replay_delivers(
    dispatchers: Dispatchers,
    sessions: sessionmaker[Session],
    subscribed: int,
    receiver: Receiver,
    emit: Emit,
    clock: Clock,
) -> None:
    event = emit(subscribed)
    created = clock()
    dispatcher = dispatchers.make()
    receiver.failing = True
    while True:
        stats = dispatcher.dispatch_due()
        row = _row(sessions, event)
        if row.status is OutboxStatus.DEAD:
            assert stats == DispatchStats(claimed=1, dead=1)
            break
        assert stats == DispatchStats(claimed=1, failed=1)
        clock.now = row.next_attempt_at
    # At least a day of retries, the last ones an hour (±50 %) apart.
    assert row.last_attempt_at is not None
    assert row.last_attempt_at - created >= POLICY.retry_window
    assert row.last_attempt_at - created < POLICY.retry_window + POLICY.max_delay * 1.5
    assert 20 <= row.attempts <= 45
    assert len(receiver.requests) == row.attempts
    assert row.last_error == "HTTP 503"
    # Dead stays dead.
    clock.advance(timedelta(days=1))
    assert dispatcher.dispatch_due() == DispatchStats()
    receiver.failing = False
    with unit_of_work(sessions) as session:
        replay_event(session, facility_id=subscribed, event_id=event.event_id, now=clock())
    assert dispatcher.dispatch_due() == DispatchStats(claimed=1, delivered=1)
    assert _row(sessions, event).attempts == 1
    assert receiver.processed == Counter({str(event.event_id): 1})


def test_event_for_a_deleted_webhook_dies_unsent(
    dispatchers: Dispatchers,
    sessions: sessionmaker[Session],
    subscribed: int,
    receiver: Receiver,
    emit: Emit,
) -> None:
    event = emit(subscribed)
    with unit_of_work(sessions) as session:
        delete_webhook(session, facility_id=subscribed)
    assert dispatchers.make().dispatch_due() == DispatchStats(claimed=1, dead=1)
    row = _row(sessions, event)
    assert row.status is OutboxStatus.DEAD
    assert row.last_error == "no active webhook for the facility"
    assert receiver.requests == []


@pytest.mark.parametrize("transport_kind", [dev_transport])
def test_redirects_are_failures_not_followed(
    dispatchers: Dispatchers,
    sessions: sessionmaker[Session],
    subscribed: int,
    receiver: Receiver,
    emit: Emit,
    transport_kind: Callable[[], WebhookTransport],
) -> None:
    event = emit(subscribed)
    receiver.answer = 307
    transport = transport_kind()
    try:
        assert dispatchers.make(transport=transport).dispatch_due().failed == 1
    finally:
        transport.close()
    assert [r.path for r in receiver.requests] == ["/hooks/docex"]
    assert _row(sessions, event).last_error == "HTTP 307 (redirects are not followed)"


@pytest.mark.parametrize("transport_kind", [dev_transport])
def test_a_slow_receiver_times_out(
    dispatchers: Dispatchers,
    sessions: sessionmaker[Session],
    subscribed: int,
    receiver: Receiver,
    emit: Emit,
    transport_kind: Callable[[], WebhookTransport],
) -> None:
    event = emit(subscribed)
    receiver.delay = 1.0
    transport = transport_kind()
    try:
        dispatcher = dispatchers.make(
            transport=transport, policy=replace(POLICY, request_timeout=0.2)
        )
        assert dispatcher.dispatch_due().failed == 1
    finally:
        transport.close()
    assert _row(sessions, event).last_error == "timeout"


def test_concurrent_dispatchers_send_each_event_once(
    dispatchers: Dispatchers,
    sessions: sessionmaker[Session],
    subscribed: int,
    receiver: Receiver,
    emit: Emit,
) -> None:
    events = [emit(subscribed, n) for n in range(60)]
    receiver.delay = 0.005  # long enough for the dispatchers' batches to overlap
    small_batches = replace(POLICY, batch_size=4)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def run() -> None:
        transport = dev_transport()
        try:
            dispatcher = dispatchers.make(transport=transport, policy=small_batches)
            start.wait()
            dispatcher.drain()
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            transport.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    expected = Counter({str(e.event_id): 1 for e in events})
    # Not a single duplicate request: the leases kept the dispatchers apart.
    assert receiver.delivery_counts == expected
    assert _statuses(sessions) == Counter({OutboxStatus.DELIVERED: 60})


def test_background_dispatcher_delivers_on_the_wall_clock_and_stops(
    sessions: sessionmaker[Session],
    subscribed: int,
    receiver: Receiver,
    emit: Emit,
    transport: PolicedTransport,
) -> None:
    dispatcher = Dispatcher(sessions, transport=transport, policy=POLICY)
    with dispatching_in_background(dispatcher) as thread:
        event = emit(subscribed)  # on the test clock, long before the wall clock's now
        receiver.wait_processed(1, timeout=10)
    assert not thread.is_alive()
    assert receiver.processed == Counter({str(event.event_id): 1})
