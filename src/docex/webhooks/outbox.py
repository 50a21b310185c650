"""The transactional outbox: events recorded with the change they announce.

A service that creates a delivery or changes a referral's status calls :func:`enqueue`
with the session of *its own* unit of work. The event is then committed with the change
or rolled back with it, so no event announces a change that did not happen and no
committed change goes unannounced, whatever crashes in between. The dispatcher
(:mod:`docex.webhooks.dispatcher`) sends what the outbox holds, later, at least once.

Events are recorded only for a facility with an active webhook: a facility without one
reads its inbox instead, and registering later does not flood it with the past. Replay
(:func:`replay_event`) is for events that went dead.

Whether a facility has an active webhook is asked of the database per event, except in
a transaction that has read it already (a submission reads it with the facilities it
concerns and says so with :func:`note_active_webhooks`): there it is asked once per
facility at most. That answer is the transaction's, as any read in it: a webhook whose
registration commits after the read receives the events of the transactions that
begin after that, as with a read just before the event.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, SessionTransaction

from docex.clock import now_or
from docex.db.pagination import IdKeyset, PageRequest, cut_page, keyset_select
from docex.db.webhooks import OutboxEvent
from docex.domain import OutboxStatus
from docex.errors import ConflictError, InputError, NotFoundError
from docex.webhooks.subscriptions import has_active_webhook

MAX_PAYLOAD_BYTES = 64 * 1024
"""An event announces a change; the documents themselves are fetched through the API."""

MAX_PAGE_SIZE = 200


class EventType(StrEnum):
    """The events a facility's webhook receives."""

    DELIVERY_CREATED = "delivery.created"
    """A document was addressed to the facility."""
    REFERRAL_STATUS_CHANGED = "referral.status_changed"
    """A referral the facility issued or received moved to a new status."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxEventRecord:
    """What is known about one event; a snapshot, not a live row."""

    id: int
    event_id: uuid.UUID
    facility_id: int
    event_type: str
    payload: dict[str, Any]
    status: OutboxStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_error: str | None
    delivered_at: datetime | None
    replayed_at: datetime | None

    @classmethod
    def of(cls, row: OutboxEvent) -> OutboxEventRecord:
        """Snapshot of an ``outbox_events`` row."""
        return cls(
            id=row.id,
            event_id=row.event_id,
            facility_id=row.facility_id,
            event_type=row.event_type,
            payload=row.payload,
            status=row.status,
            attempts=row.attempts,
            created_at=row.created_at,
            next_attempt_at=row.next_attempt_at,
            last_attempt_at=row.last_attempt_at,
            last_error=row.last_error,
            delivered_at=row.delivered_at,
            replayed_at=row.replayed_at,
        )


@dataclass(frozen=True, slots=True)
class EventPage:
    """A page of events, oldest first, and the cursor of the next page, if any."""

    events: list[OutboxEventRecord]
    next_cursor: str | None


def _json_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    try:
        encoded = json.dumps(dict(payload), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"an event payload must be plain JSON: {exc}") from exc
    if len(encoded.encode()) > MAX_PAYLOAD_BYTES:
        raise InputError(f"an event payload is larger than {MAX_PAYLOAD_BYTES} bytes")
    # Stored as it will be read back, so the first delivery and a replay send the same.
    decoded: dict[str, Any] = json.loads(encoded)
    return decoded


_ACTIVE_WEBHOOKS = "docex.webhooks.active"


def _known_webhooks(session: Session) -> dict[int, bool] | None:
    """What the session's current transaction was told of facilities' webhooks, if
    anything (:func:`note_active_webhooks`)."""
    held: tuple[SessionTransaction | None, dict[int, bool]] | None = session.info.get(
        _ACTIVE_WEBHOOKS
    )
    if held is None or held[0] is not session.get_transaction():
        return None
    return held[1]


def note_active_webhooks(session: Session, active: Mapping[int, bool]) -> None:
    """Record, for the rest of the session's current transaction, whether each facility
    of ``active`` has an active webhook, as a query of that transaction just read it.

    Events of that transaction for those facilities are then recorded or not without
    asking the database again; so are those for other facilities, once asked. A later
    transaction of the session asks again.
    """
    transaction = session.get_transaction()
    known = _known_webhooks(session)
    if known is None:
        known = {}
        # Kept with the transaction it was read in. The reference keeps that transaction
        # alive, so a later one is never mistaken for it.
        session.info[_ACTIVE_WEBHOOKS] = (transaction, known)
    known.update(active)


def _has_active_webhook(session: Session, facility_id: int) -> bool:
    known = _known_webhooks(session)
    if known is None:
        return has_active_webhook(session, facility_id=facility_id)
    if facility_id not in known:
        known[facility_id] = has_active_webhook(session, facility_id=facility_id)
    return known[facility_id]


def add_event(
    session: Session,
    *,
    facility_id: int,
    event_type: EventType,
    payload: Mapping[str, Any],
    now: datetime | None = None,
) -> bool:
    """Record an event for ``facility_id`` in the caller's transaction, as :func:`enqueue`
    does, and say whether it was recorded (the facility has an active webhook).

    The row is written by the session's next flush, with whatever else the transaction
    writes (several events in one statement), rather than on its own at once.
    """
    return _new_event(session, facility_id, event_type, payload, now) is not None


def enqueue(
    session: Session,
    *,
    facility_id: int,
    event_type: EventType,
    payload: Mapping[str, Any],
    now: datetime | None = None,
) -> OutboxEventRecord | None:
    """Record an event for ``facility_id`` in the caller's transaction.

    ``payload`` becomes the ``data`` of the delivered JSON; it must be plain JSON (strings,
    numbers, booleans, null, lists, objects: pass UUIDs and datetimes as strings). Returns
    the event, due at once, or ``None`` if the facility has no active webhook.
    """
    row = _new_event(session, facility_id, event_type, payload, now)
    if row is None:
        return None
    session.flush()
    return OutboxEventRecord.of(row)


def _new_event(
    session: Session,
    facility_id: int,
    event_type: EventType,
    payload: Mapping[str, Any],
    now: datetime | None,
) -> OutboxEvent | None:
    data = _json_payload(payload)
    if not _has_active_webhook(session, facility_id):
        return None
    moment = now_or(now)
    row = OutboxEvent(
        event_id=uuid.uuid4(),
        facility_id=facility_id,
        event_type=EventType(event_type).value,
        payload=data,
        created_at=moment,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=moment,
    )
    session.add(row)
    return row


def _facility_event(session: Session, facility_id: int, event_id: uuid.UUID) -> OutboxEvent:
    row = session.scalar(
        select(OutboxEvent).where(
            OutboxEvent.event_id == event_id, OutboxEvent.facility_id == facility_id
        )
    )
    if row is None:
        # Another facility's event is reported the same way as none at all.
        raise NotFoundError(f"no webhook event {event_id}")
    return row


def get_event(session: Session, *, facility_id: int, event_id: uuid.UUID) -> OutboxEventRecord:
    """One of the facility's events; ``NotFoundError`` for any other."""
    return OutboxEventRecord.of(_facility_event(session, facility_id, event_id))


def list_events(
    session: Session,
    *,
    facility_id: int,
    status: OutboxStatus | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> EventPage:
    """The facility's events, oldest first, a page at a time (``cursor`` is opaque)."""
    page = PageRequest(cursor=cursor, limit=limit).bounded(MAX_PAGE_SIZE)
    query = select(OutboxEvent).where(OutboxEvent.facility_id == facility_id)
    if status is not None:
        query = query.where(OutboxEvent.status == status)
    fetched = list(session.scalars(keyset_select(query, IdKeyset(OutboxEvent.id), page)))
    rows, next_cursor = cut_page(fetched, page, lambda row: IdKeyset.cursor(row.id))
    return EventPage(events=[OutboxEventRecord.of(row) for row in rows], next_cursor=next_cursor)


def replay_event(
    session: Session, *, facility_id: int, event_id: uuid.UUID, now: datetime | None = None
) -> OutboxEventRecord:
    """Send a dead event again: pending at once, attempts and retry window started afresh.

    ``ConflictError`` if the event is not dead (it is still being tried, or was
    delivered) or the facility has no active webhook to send it to.
    """
    row = _facility_event(session, facility_id, event_id)
    if row.status is not OutboxStatus.DEAD:
        raise ConflictError(f"webhook event {event_id} is {row.status.value}, not dead")
    if not has_active_webhook(session, facility_id=facility_id):
        raise ConflictError("register a webhook before replaying events")
    moment = now_or(now)
    row.status = OutboxStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = moment
    row.replayed_at = moment
    row.locked_until = None
    row.last_error = None
    session.flush()
    return OutboxEventRecord.of(row)
