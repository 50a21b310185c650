"""Deliveries check the receiver's addresses at connection time, not only at registration."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from docex.db import unit_of_work
from docex.db.webhooks import OutboxEvent
from docex.domain import OutboxStatus
from docex.outbound.policy import IPAddress, OutboundPolicy
from docex.webhooks.dispatcher import DispatchStats
from docex.webhooks.outbox import OutboxEventRecord
from docex.webhooks.subscriptions import register_webhook
from docex.webhooks.transport import PolicedTransport
from docex.webhooks.url_policy import WebhookUrlPolicy
from tests.outbound.rawserver import answer, raw_server
from tests.webhooks.conftest import Dispatchers


def test_a_public_name_that_resolves_to_loopback_at_delivery_is_refused(
    sessions: sessionmaker[Session],
    facility_id: int,
    dispatchers: Dispatchers,
    emit: Callable[..., OutboxEventRecord],
) -> None:
    # The name was fine when registered; by delivery time its DNS answers 127.0.0.1
    # (rebinding), where a service of docex's own listens.
    def rebound(_host: str, _port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("127.0.0.1")]

    production = OutboundPolicy(resolver=rebound)
    with raw_server(answer(200)) as internal:
        with unit_of_work(sessions) as session:
            register_webhook(
                session,
                facility_id=facility_id,
                url=f"https://hooks.clinic.example.org:{internal.port}/in",
                policy=WebhookUrlPolicy(outbound=production),
            )
        emit(facility_id)
        dispatcher = dispatchers.make(transport=PolicedTransport(production))
        assert dispatcher.dispatch_due() == DispatchStats(claimed=1, failed=1)
        assert internal.connections == 0
    with unit_of_work(sessions) as session:
        row = session.scalars(select(OutboxEvent)).one()
        assert (row.status, row.last_error) == (
            OutboxStatus.PENDING,
            "refused by the outbound policy",
        )
