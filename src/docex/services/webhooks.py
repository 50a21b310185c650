"""A facility managing its webhook and its events, one unit of work per call.

Registering and removing a webhook are recorded in the audit log (``webhook.register``,
``webhook.delete``) in the same transaction; a refused registration or removal (a URL the
outbound policy forbids, an inactive facility, no webhook to remove, an auditor asking) is
recorded as refused, with the URL's host but never the URL itself.

Only a facility's own token may: an auditor has no webhook and changes nothing, and one
facility never sees another's events.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, sessionmaker

from docex.audit import actions
from docex.audit.log import Actor
from docex.db.engine import unit_of_work
from docex.domain import OutboxStatus
from docex.errors import PermissionDeniedError
from docex.registry.records import Principal
from docex.services.admin_audit import audited_refusals, record_change
from docex.webhooks import outbox, subscriptions
from docex.webhooks.outbox import EventPage, OutboxEventRecord
from docex.webhooks.subscriptions import RegisteredWebhook, WebhookRecord
from docex.webhooks.url_policy import WebhookUrlPolicy


def _facility_of(principal: Principal) -> int:
    if principal.is_auditor or principal.facility_id is None:
        raise PermissionDeniedError("webhooks belong to facilities; an auditor has none")
    return principal.facility_id


def register(
    *,
    sessions: sessionmaker[Session],
    url_policy: WebhookUrlPolicy,
    principal: Principal,
    url: str,
) -> RegisteredWebhook:
    """Register or replace the principal's webhook, if ``url_policy`` accepts its URL; the
    answer carries the new secret."""
    with (
        audited_refusals(
            sessions,
            actor=Actor.from_principal(principal),
            action=actions.WEBHOOK_REGISTER,
            target_type=actions.WEBHOOK,
            details={"host": _host(url)},
            # The policy's reason may quote the URL, whose path or query can carry the
            # facility's own credentials.
            hide=(url, url.strip()),
        ),
        unit_of_work(sessions) as session,
    ):
        registered = subscriptions.register_webhook(
            session,
            facility_id=_facility_of(principal),
            url=url,
            policy=url_policy,
        )
        record_change(
            session,
            actor=Actor.from_principal(principal),
            action=actions.WEBHOOK_REGISTER,
            target_type=actions.WEBHOOK,
            target_id=str(registered.record.id),
            # The host says where events go; a path or query may carry a facility's
            # own credentials and is left out.
            details={"host": urlsplit(registered.record.url).hostname},
        )
        return registered


def _host(url: str) -> str | None:
    """The host a URL names, if it parses; all a refused registration records of it."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return None if host is None else host[:253]


def get(*, sessions: sessionmaker[Session], principal: Principal) -> WebhookRecord:
    """The principal's webhook, without its secret."""
    facility_id = _facility_of(principal)
    with unit_of_work(sessions) as session:
        return subscriptions.get_webhook(session, facility_id=facility_id)


def delete(*, sessions: sessionmaker[Session], principal: Principal) -> None:
    """Stop the principal's webhook."""
    with (
        audited_refusals(
            sessions,
            actor=Actor.from_principal(principal),
            action=actions.WEBHOOK_DELETE,
            target_type=actions.WEBHOOK,
        ),
        unit_of_work(sessions) as session,
    ):
        facility_id = _facility_of(principal)
        webhook = subscriptions.get_webhook(session, facility_id=facility_id)
        subscriptions.delete_webhook(session, facility_id=facility_id)
        record_change(
            session,
            actor=Actor.from_principal(principal),
            action=actions.WEBHOOK_DELETE,
            target_type=actions.WEBHOOK,
            target_id=str(webhook.id),
        )


def list_events(
    *,
    sessions: sessionmaker[Session],
    principal: Principal,
    status: OutboxStatus | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> EventPage:
    """The principal's webhook events, oldest first."""
    facility_id = _facility_of(principal)
    with unit_of_work(sessions) as session:
        return outbox.list_events(
            session, facility_id=facility_id, status=status, cursor=cursor, limit=limit
        )


def replay(
    *, sessions: sessionmaker[Session], principal: Principal, event_id: uuid.UUID
) -> OutboxEventRecord:
    """Send one of the principal's dead events again."""
    facility_id = _facility_of(principal)
    with unit_of_work(sessions) as session:
        return outbox.replay_event(session, facility_id=facility_id, event_id=event_id)
