"""Fixtures of the webhook tests: a facility, a real receiver, a clock the test moves."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from docex.db import unit_of_work
from docex.outbound.policy import DEVELOPMENT_HOSTS, DEVELOPMENT_NETWORKS, OutboundPolicy
from docex.registry import add_facility
from docex.webhooks.dispatcher import Dispatcher, RetryPolicy
from docex.webhooks.outbox import EventType, OutboxEventRecord, enqueue
from docex.webhooks.subscriptions import register_webhook
from docex.webhooks.transport import PolicedTransport, WebhookTransport
from docex.webhooks.url_policy import WebhookUrlPolicy
from tests.webhooks.receiver import Receiver, running_receiver

DEV_OUTBOUND = OutboundPolicy(
    allowed_hosts=DEVELOPMENT_HOSTS, allowed_networks=DEVELOPMENT_NETWORKS, allow_plain_http=True
)
"""What a development deployment may reach: its own machine, where the receivers run."""
DEV_URLS = WebhookUrlPolicy(outbound=DEV_OUTBOUND)


def dev_transport() -> PolicedTransport:
    """The service's transport under the development policy."""
    return PolicedTransport(DEV_OUTBOUND)


POLICY = RetryPolicy(
    base_delay=timedelta(seconds=10),
    max_delay=timedelta(hours=1),
    retry_window=timedelta(hours=24),
    request_timeout=2.0,
    poll_interval=0.05,
    batch_size=10,
)


class Clock:
    """A clock that stands still until the test moves it."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def facility_id(sessions: sessionmaker[Session]) -> int:
    with unit_of_work(sessions) as session:
        return add_facility(session, edrpou="38291045", name="Receiving clinic").id


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def subscribed(sessions: sessionmaker[Session], facility_id: int, receiver: Receiver) -> int:
    """The facility, with its webhook pointing at the receiver (which knows the secret)."""
    with unit_of_work(sessions) as session:
        registered = register_webhook(
            session, facility_id=facility_id, url=receiver.url, policy=DEV_URLS
        )
    receiver.secret = registered.secret
    return facility_id


@pytest.fixture
def transport() -> Iterator[PolicedTransport]:
    transport = dev_transport()
    yield transport
    transport.close()


@dataclass
class Dispatchers:
    sessions: sessionmaker[Session]
    clock: Clock
    transport: WebhookTransport

    def make(
        self, *, transport: WebhookTransport | None = None, policy: RetryPolicy = POLICY
    ) -> Dispatcher:
        return Dispatcher(
            self.sessions,
            transport=transport or self.transport,
            policy=policy,
            clock=self.clock,
            rng=random.Random(7),  # noqa: S311  # jitter, not cryptography
        )


@pytest.fixture
def dispatchers(
    sessions: sessionmaker[Session], clock: Clock, transport: PolicedTransport
) -> Dispatchers:
    return Dispatchers(sessions, clock, transport)


@pytest.fixture
def emit(sessions: sessionmaker[Session], clock: Clock) -> Callable[..., OutboxEventRecord]:
    """Commit one ``delivery.created`` event for a facility, as a delivery service would."""

    def emit(facility_id: int, number: int = 0) -> OutboxEventRecord:
        with unit_of_work(sessions) as session:
            event = enqueue(
                session,
                facility_id=facility_id,
                event_type=EventType.DELIVERY_CREATED,
                payload={"document_id": f"doc-{number}", "number": number},
                now=clock(),
            )
        assert event is not None
        return event

    return emit
