"""A facility managing its webhook and its events, one unit of work per call.

Only a facility's own token may: an auditor has no webhook and changes nothing, and one
facility never sees another's events.
"""

from __future__ import annotations

import uuid

from docex.db.engine import unit_of_work
from docex.domain import OutboxStatus
from docex.errors import PermissionDeniedError
from docex.registry.records import Principal
from docex.services.runtime import Runtime
from docex.webhooks import outbox, subscriptions
from docex.webhooks.outbox import EventPage, OutboxEventRecord
from docex.webhooks.subscriptions import RegisteredWebhook, WebhookRecord
from docex.webhooks.url_policy import WebhookUrlPolicy


def _facility_of(principal: Principal) -> int:
    if principal.is_auditor or principal.facility_id is None:
        raise PermissionDeniedError("webhooks belong to facilities; an auditor has none")
    return principal.facility_id


def register(runtime: Runtime, *, principal: Principal, url: str) -> RegisteredWebhook:
    """Register or replace the principal's webhook; the answer carries the new secret."""
    facility_id = _facility_of(principal)
    with unit_of_work(runtime.sessions) as session:
        return subscriptions.register_webhook(
            session,
            facility_id=facility_id,
            url=url,
            policy=WebhookUrlPolicy.from_settings(runtime.settings),
        )


def get(runtime: Runtime, *, principal: Principal) -> WebhookRecord:
    """The principal's webhook, without its secret."""
    facility_id = _facility_of(principal)
    with unit_of_work(runtime.sessions) as session:
        return subscriptions.get_webhook(session, facility_id=facility_id)


def delete(runtime: Runtime, *, principal: Principal) -> None:
    """Stop the principal's webhook."""
    facility_id = _facility_of(principal)
    with unit_of_work(runtime.sessions) as session:
        subscriptions.delete_webhook(session, facility_id=facility_id)


def list_events(
    runtime: Runtime,
    *,
    principal: Principal,
    status: OutboxStatus | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> EventPage:
    """The principal's webhook events, oldest first."""
    facility_id = _facility_of(principal)
    with unit_of_work(runtime.sessions) as session:
        return outbox.list_events(
            session, facility_id=facility_id, status=status, cursor=cursor, limit=limit
        )


def replay(runtime: Runtime, *, principal: Principal, event_id: uuid.UUID) -> OutboxEventRecord:
    """Send one of the principal's dead events again."""
    facility_id = _facility_of(principal)
    with unit_of_work(runtime.sessions) as session:
        return outbox.replay_event(session, facility_id=facility_id, event_id=event_id)
