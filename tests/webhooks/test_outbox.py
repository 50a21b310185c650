"""The outbox: an event exists if and only if the change it announces committed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from docex.db import unit_of_work
from docex.db.registry import Facility
from docex.db.webhooks import OutboxEvent
from docex.domain import OutboxStatus
from docex.errors import ConflictError, InputError, NotFoundError
from docex.registry import add_facility
from docex.webhooks.outbox import (
    EventType,
    OutboxEventRecord,
    enqueue,
    get_event,
    list_events,
    replay_event,
)
from docex.webhooks.subscriptions import delete_webhook
from tests.webhooks.conftest import Clock


class _ChangeFailedError(Exception):
    pass


def _event_count(sessions: sessionmaker[Session]) -> int:
    with unit_of_work(sessions) as session:
        return session.scalar(select(func.count()).select_from(OutboxEvent)) or 0


def test_event_rolled_back_with_the_change(
    sessions: sessionmaker[Session], subscribed: int
) -> None:
    def change_with_event_then_fail() -> None:
        with unit_of_work(sessions) as session:
            # The change the event announces, and the event, in one transaction...
            add_facility(session, edrpou="40123457", name="Referring clinic")
            event = enqueue(
                session,
                facility_id=subscribed,
                event_type=EventType.REFERRAL_STATUS_CHANGED,
                payload={"referral_id": "r-1", "status": "accepted"},
            )
            assert event is not None
            raise _ChangeFailedError  # ...and the change fails after the event was written.

    with pytest.raises(_ChangeFailedError):
        change_with_event_then_fail()
    assert _event_count(sessions) == 0
    with unit_of_work(sessions) as session:
        assert session.scalar(select(Facility).where(Facility.edrpou == "40123457")) is None


def test_event_committed_with_the_change(
    sessions: sessionmaker[Session], subscribed: int, clock: Clock
) -> None:
    with unit_of_work(sessions) as session:
        event = enqueue(
            session,
            facility_id=subscribed,
            event_type=EventType.DELIVERY_CREATED,
            payload={"document_id": "d-1", "kind": "referral"},
            now=clock(),
        )
    assert event is not None
    with unit_of_work(sessions) as session:
        stored = get_event(session, facility_id=subscribed, event_id=event.event_id)
    assert stored.status is OutboxStatus.PENDING
    assert stored.attempts == 0
    assert stored.next_attempt_at == clock()
    assert stored.event_type == "delivery.created"
    assert stored.payload == {"document_id": "d-1", "kind": "referral"}


def test_no_event_without_an_active_webhook(
    sessions: sessionmaker[Session], facility_id: int, subscribed: int
) -> None:
    with unit_of_work(sessions) as session:
        delete_webhook(session, facility_id=subscribed)
    with unit_of_work(sessions) as session:
        event = enqueue(
            session,
            facility_id=facility_id,
            event_type=EventType.DELIVERY_CREATED,
            payload={"document_id": "d-1"},
        )
    assert event is None
    assert _event_count(sessions) == 0


@pytest.mark.parametrize(
    "payload",
    [{"id": uuid.uuid4()}, {"x": float("nan")}, {"big": "x" * 70_000}],
    ids=["uuid", "nan", "too-large"],
)
def test_payload_must_be_plain_bounded_json(
    sessions: sessionmaker[Session], subscribed: int, payload: dict[str, object]
) -> None:
    with unit_of_work(sessions) as session, pytest.raises(InputError):
        enqueue(
            session, facility_id=subscribed, event_type=EventType.DELIVERY_CREATED, payload=payload
        )


def test_unknown_event_type_is_refused(sessions: sessionmaker[Session], subscribed: int) -> None:
    with unit_of_work(sessions) as session, pytest.raises(ValueError, match=r"not\.a\.type"):
        enqueue(
            session,
            facility_id=subscribed,
            event_type="not.a.type",  # type: ignore[arg-type]
            payload={},
        )


def test_listing_pages_and_filters_one_facilitys_events(
    sessions: sessionmaker[Session],
    subscribed: int,
    emit: Callable[..., OutboxEventRecord],
) -> None:
    events = [emit(subscribed, n) for n in range(5)]
    with unit_of_work(sessions) as session:
        first = list_events(session, facility_id=subscribed, limit=2)
        assert first.next_cursor is not None
        second = list_events(session, facility_id=subscribed, cursor=first.next_cursor, limit=2)
        third = list_events(session, facility_id=subscribed, cursor=second.next_cursor, limit=2)
        assert third.next_cursor is None
        listed = first.events + second.events + third.events
        assert [e.event_id for e in listed] == [e.event_id for e in events]
        assert list_events(session, facility_id=subscribed, status=OutboxStatus.DEAD).events == []
        assert list_events(session, facility_id=subscribed + 1).events == []
        with pytest.raises(InputError):
            list_events(session, facility_id=subscribed, cursor="abc")


def test_replay_only_dead_events_of_the_own_facility(
    sessions: sessionmaker[Session],
    subscribed: int,
    clock: Clock,
    emit: Callable[..., OutboxEventRecord],
) -> None:
    event = emit(subscribed)
    with unit_of_work(sessions) as session, pytest.raises(ConflictError, match="pending"):
        replay_event(session, facility_id=subscribed, event_id=event.event_id)
    with unit_of_work(sessions) as session:
        row = session.scalar(select(OutboxEvent).where(OutboxEvent.event_id == event.event_id))
        assert row is not None
        row.status = OutboxStatus.DEAD
        row.attempts = 17
    with unit_of_work(sessions) as session, pytest.raises(NotFoundError):
        replay_event(session, facility_id=subscribed + 1, event_id=event.event_id)
    with unit_of_work(sessions) as session, pytest.raises(NotFoundError):
        replay_event(session, facility_id=subscribed, event_id=uuid.uuid4())
    later = clock.advance(timedelta(days=3))
    with unit_of_work(sessions) as session:
        replayed = replay_event(session, facility_id=subscribed, event_id=event.event_id, now=later)
    assert replayed.status is OutboxStatus.PENDING
    assert replayed.attempts == 0
    assert replayed.next_attempt_at == later
    assert replayed.replayed_at == later


def test_replay_needs_an_active_webhook(
    sessions: sessionmaker[Session], subscribed: int, emit: Callable[..., OutboxEventRecord]
) -> None:
    event = emit(subscribed)
    with unit_of_work(sessions) as session:
        row = session.scalar(select(OutboxEvent).where(OutboxEvent.event_id == event.event_id))
        assert row is not None
        row.status = OutboxStatus.DEAD
        delete_webhook(session, facility_id=subscribed)
    with unit_of_work(sessions) as session, pytest.raises(ConflictError, match="register"):
        replay_event(session, facility_id=subscribed, event_id=event.event_id)
