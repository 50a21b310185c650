"""A facility's webhook registration: one URL and the secret that signs its deliveries.

A facility registers one HTTPS URL (checked by :mod:`docex.webhooks.url_policy`) and
receives a signing secret, shown once (how it signs: :mod:`docex.webhooks.signing`).
Registering again replaces both URL and secret.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from docex.clock import now_or
from docex.db.engine import flush_or_conflict
from docex.db.webhooks import WebhookSubscription
from docex.errors import ConflictError, NotFoundError
from docex.registry.facilities import get_facility
from docex.webhooks.url_policy import WebhookUrlPolicy, check_webhook_url

SECRET_PREFIX = "whsec_"  # noqa: S105  # a public prefix, not a secret
_SECRET_BYTES = 32


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookRecord:
    """A facility's webhook registration; never its secret."""

    id: int
    facility_id: int
    url: str
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, row: WebhookSubscription) -> WebhookRecord:
        """Snapshot of a ``webhook_subscriptions`` row."""
        return cls(
            id=row.id,
            facility_id=row.facility_id,
            url=row.url,
            active=row.active,
            created_at=row.created_at,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisteredWebhook:
    """A fresh registration: the only answer that carries the secret."""

    secret: str = field(repr=False)
    record: WebhookRecord


def register_webhook(
    session: Session,
    *,
    facility_id: int,
    url: str,
    policy: WebhookUrlPolicy,
    now: datetime | None = None,
) -> RegisteredWebhook:
    """Register (or replace) the facility's webhook with a new secret.

    Events already waiting are sent to the new URL, signed with the new secret.
    """
    check_webhook_url(url, policy=policy)
    facility = get_facility(session, facility_id=facility_id)
    if not facility.active:
        raise ConflictError(f"facility {facility.edrpou} is inactive")
    secret = SECRET_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)
    row = session.scalar(
        select(WebhookSubscription).where(WebhookSubscription.facility_id == facility_id)
    )
    if row is None:
        row = WebhookSubscription(facility_id=facility_id)
        session.add(row)
    row.url = url
    row.secret = secret
    row.active = True
    row.created_at = now_or(now)
    flush_or_conflict(session, "the webhook was registered concurrently; register again")
    return RegisteredWebhook(secret=secret, record=WebhookRecord.of(row))


def _active_row(session: Session, facility_id: int) -> WebhookSubscription:
    row = session.scalar(
        select(WebhookSubscription).where(
            WebhookSubscription.facility_id == facility_id, WebhookSubscription.active
        )
    )
    if row is None:
        raise NotFoundError("no webhook is registered for this facility")
    return row


def get_webhook(session: Session, *, facility_id: int) -> WebhookRecord:
    """The facility's active webhook; ``NotFoundError`` if it has none."""
    return WebhookRecord.of(_active_row(session, facility_id))


def delete_webhook(session: Session, *, facility_id: int) -> None:
    """Stop sending events to the facility.

    No new events are recorded for it; those already waiting become dead at their next
    attempt and can be replayed once a webhook is registered again.
    """
    row = _active_row(session, facility_id)
    row.active = False
    session.flush()


def has_active_webhook(session: Session, *, facility_id: int) -> bool:
    """Whether events for the facility are recorded at all."""
    found = session.scalar(
        select(WebhookSubscription.id).where(
            WebhookSubscription.facility_id == facility_id, WebhookSubscription.active
        )
    )
    return found is not None
