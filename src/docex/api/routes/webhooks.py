"""The facility's webhook: register, read, delete; its events: list and replay."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from docex.api.deps import PrincipalDep, RuntimeDep
from docex.api.pagination import page_parameters
from docex.db.pagination import PageRequest
from docex.domain import MAX_WEBHOOK_URL_LENGTH, OutboxStatus
from docex.services import webhooks as service
from docex.webhooks.outbox import MAX_PAGE_SIZE, OutboxEventRecord
from docex.webhooks.subscriptions import WebhookRecord
from docex.webhooks.url_policy import WebhookUrlPolicy

router = APIRouter(prefix="/api/v1/webhook", tags=["webhooks"])


class WebhookIn(BaseModel):
    """Where to POST the facility's events."""

    url: str = Field(
        max_length=MAX_WEBHOOK_URL_LENGTH,
        description="An https:// URL (http:// to a loopback host only in development).",
    )


class WebhookOut(BaseModel):
    """The facility's webhook registration."""

    url: str
    created_at: datetime

    @classmethod
    def of(cls, record: WebhookRecord) -> WebhookOut:
        return cls(url=record.url, created_at=record.created_at)


class RegisteredWebhookOut(WebhookOut):
    """A fresh registration with its signing secret, shown only this once."""

    secret: str = Field(
        description="Key of the HMAC-SHA-256 in `Docex-Signature`; store it now.",
    )


class WebhookEventOut(BaseModel):
    """One event for the facility and how its delivery went."""

    event_id: uuid.UUID = Field(description="Sent as `Docex-Event-Id`; de-duplicate on it.")
    type: str
    status: OutboxStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    delivered_at: datetime | None
    replayed_at: datetime | None
    data: dict[str, Any]

    @classmethod
    def of(cls, event: OutboxEventRecord) -> WebhookEventOut:
        return cls(
            event_id=event.event_id,
            type=event.event_type,
            status=event.status,
            attempts=event.attempts,
            created_at=event.created_at,
            next_attempt_at=event.next_attempt_at if event.status is OutboxStatus.PENDING else None,
            last_attempt_at=event.last_attempt_at,
            last_error=event.last_error,
            delivered_at=event.delivered_at,
            replayed_at=event.replayed_at,
            data=event.payload,
        )


class WebhookEventPageOut(BaseModel):
    """A page of events; pass ``next_cursor`` as ``cursor`` for the next one."""

    items: list[WebhookEventOut]
    next_cursor: str | None


@router.put(
    "",
    response_model=RegisteredWebhookOut,
    responses={403: {"description": "Auditors have no webhook"}},
)
def register(body: WebhookIn, runtime: RuntimeDep, principal: PrincipalDep) -> RegisteredWebhookOut:
    """Register or replace this facility's webhook; the answer carries a new secret, once."""
    registered = service.register(
        sessions=runtime.sessions,
        url_policy=WebhookUrlPolicy.from_settings(runtime.settings),
        principal=principal,
        url=body.url,
    )
    return RegisteredWebhookOut(
        **WebhookOut.of(registered.record).model_dump(), secret=registered.secret
    )


@router.get("", response_model=WebhookOut)
def get_webhook(runtime: RuntimeDep, principal: PrincipalDep) -> WebhookOut:
    """This facility's webhook (never its secret)."""
    return WebhookOut.of(service.get(sessions=runtime.sessions, principal=principal))


@router.delete("", status_code=204, response_class=Response)
def delete_webhook(runtime: RuntimeDep, principal: PrincipalDep) -> Response:
    """Stop sending events to this facility."""
    service.delete(sessions=runtime.sessions, principal=principal)
    return Response(status_code=204)


@router.get("/events", response_model=WebhookEventPageOut)
def list_events(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    status: OutboxStatus | None = None,
    # Keyword-only: the page parameters come last, as in the published schema.
    *,
    page: Annotated[PageRequest, Depends(page_parameters(default=50, maximum=MAX_PAGE_SIZE))],
) -> WebhookEventPageOut:
    """This facility's webhook events, oldest first."""
    events = service.list_events(
        sessions=runtime.sessions,
        principal=principal,
        status=status,
        cursor=page.cursor,
        limit=page.limit,
    )
    return WebhookEventPageOut(
        items=[WebhookEventOut.of(e) for e in events.events], next_cursor=events.next_cursor
    )


@router.post(
    "/events/{event_id}/replay",
    response_model=WebhookEventOut,
    responses={409: {"description": "The event is not dead, or no webhook is registered"}},
)
def replay(event_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> WebhookEventOut:
    """Send a dead event again, with a fresh retry window."""
    return WebhookEventOut.of(
        service.replay(sessions=runtime.sessions, principal=principal, event_id=event_id)
    )
