"""What a transaction was told of facilities' webhooks holds for that transaction only."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from docex.db import unit_of_work
from docex.db.webhooks import OutboxEvent
from docex.webhooks.outbox import EventType, add_event, note_active_webhooks
from docex.webhooks.subscriptions import delete_webhook, register_webhook
from tests.webhooks.conftest import DEV_URLS
from tests.webhooks.receiver import Receiver


def _events(sessions: sessionmaker[Session], facility_id: int) -> int:
    with unit_of_work(sessions) as session:
        query = select(func.count()).where(OutboxEvent.facility_id == facility_id)
        return int(session.scalar(query) or 0)


def _add(session: Session, facility_id: int) -> bool:
    return add_event(
        session, facility_id=facility_id, event_type=EventType.DELIVERY_CREATED, payload={}
    )


def test_a_noted_answer_is_used_within_its_transaction(
    sessions: sessionmaker[Session], subscribed: int
) -> None:
    with unit_of_work(sessions) as session:
        # The transaction read "no webhook" (as a submission's facilities query does): the
        # event is not recorded, whatever the table says, since the read was the answer.
        note_active_webhooks(session, {subscribed: False})
        assert _add(session, subscribed) is False
    assert _events(sessions, subscribed) == 0


def test_a_webhook_registered_after_a_transaction_receives_the_next_ones_events(
    sessions: sessionmaker[Session], facility_id: int, receiver: Receiver
) -> None:
    session = sessions()
    try:
        with session.begin():
            note_active_webhooks(session, {facility_id: False})
            assert _add(session, facility_id) is False
        with unit_of_work(sessions) as other:
            register_webhook(other, facility_id=facility_id, url=receiver.url, policy=DEV_URLS)
        # The same session, a new transaction: what the last one read is not reused.
        with session.begin():
            assert _add(session, facility_id) is True
        with unit_of_work(sessions) as other:
            delete_webhook(other, facility_id=facility_id)
        with session.begin():
            note_active_webhooks(session, {})
            # Told nothing of this facility: the database is asked, and says "none".
            assert _add(session, facility_id) is False
    finally:
        session.close()
    assert _events(sessions, facility_id) == 1


def test_events_are_written_by_the_next_flush_in_the_order_added(
    sessions: sessionmaker[Session], subscribed: int
) -> None:
    with unit_of_work(sessions) as session:
        for number in range(3):
            add_event(
                session,
                facility_id=subscribed,
                event_type=EventType.DELIVERY_CREATED,
                payload={"number": number},
            )
    with unit_of_work(sessions) as session:
        rows = session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.facility_id == subscribed)
            .order_by(OutboxEvent.id)
        ).all()
        assert [row.payload["number"] for row in rows] == [0, 1, 2]
