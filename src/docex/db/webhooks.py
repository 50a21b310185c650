"""Webhook subscriptions and the transactional outbox that feeds them.

An ``outbox_events`` row is written in the same transaction as the change it announces
(a delivery, a referral's new status), so the event exists if and only if the change
committed. The dispatcher (:mod:`docex.webhooks.dispatcher`) reads the outbox afterwards and
POSTs each event to the recipient facility's webhook until it is acknowledged or its
retry window runs out.

The subscription keeps its signing secret in clear: signing with HMAC needs the key
itself, unlike API tokens, of which only a keyed hash is stored. Whoever can read this
table can forge deliveries to the facilities' receivers; back-ups deserve the same care
as the database credentials.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from docex.clock import utcnow
from docex.db.base import BIG_ID, Base, enum_type
from docex.db.registry import Facility
from docex.domain import MAX_WEBHOOK_URL_LENGTH, OutboxStatus


class WebhookSubscription(Base):
    """A facility's webhook: where its events are POSTed and the key that signs them."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey(Facility.id), unique=True)
    url: Mapped[str] = mapped_column(String(MAX_WEBHOOK_URL_LENGTH))
    secret: Mapped[str] = mapped_column(String(100))
    """The HMAC-SHA-256 signing key, in clear (see the module docstring)."""
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    """When the current URL and secret were registered."""


class OutboxEvent(Base):
    """An event for one facility, waiting in the outbox or already dispatched."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        # What the dispatcher scans for: pending events by due time.
        Index("ix_outbox_events_status_next_attempt", "status", "next_attempt_at"),
        # A facility's own events, in order, for listing and replay.
        Index("ix_outbox_events_facility_id_id", "facility_id", "id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    """Sent as ``Docex-Event-Id``; receivers de-duplicate on it."""
    facility_id: Mapped[int] = mapped_column(ForeignKey(Facility.id))
    """The recipient."""
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_type(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    """Failed and successful POSTs since creation or the last replay."""
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None]
    replayed_at: Mapped[datetime | None]
    """When the facility last replayed the event; the retry window starts again here."""
    locked_until: Mapped[datetime | None]
    """A dispatcher's lease: no other dispatcher sends the event before this time."""

    @property
    def retry_window_start(self) -> datetime:
        """Since when the event has been retried: its creation, or its last replay."""
        return self.replayed_at or self.created_at
