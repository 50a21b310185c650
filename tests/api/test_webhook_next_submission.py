"""A webhook registered between two submissions receives the second one's events.

The submission reads whether its facilities have a webhook with the facilities
themselves, once per transaction; a registration is seen by the next submission.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from docex.db.engine import unit_of_work
from docex.db.webhooks import OutboxEvent
from docex.devpki.pki import DevPki
from docex.settings import Settings
from tests.api.conftest import FACILITY_B, REPO, Api, replace_settings
from tests.api.parties import Parties
from tests.conftest import Backend
from tests.webhooks.receiver import Receiver, running_receiver


@pytest.fixture
def api_settings(backend: Backend) -> Settings:
    # Nothing dispatches: the events stay in the outbox for the test to read.
    return replace_settings(
        backend.settings, trust=[REPO / "certs-dev" / "trust"], webhooks_enabled=False
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


def _events(api: Api, facility_id: int) -> list[tuple[str, Any]]:
    with unit_of_work(api.backend.sessions) as session:
        rows = session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.facility_id == facility_id)
            .order_by(OutboxEvent.id)
        ).all()
        return [(row.event_type, row.payload.get("document_id")) for row in rows]


def test_a_webhook_registered_between_submissions_gets_the_next_ones_events(
    api: Api, pki: DevPki, receiver: Receiver
) -> None:
    b = api.facility_ids[FACILITY_B]
    parties = Parties(api, pki)
    try:
        parties.refer(recipient_edrpou=FACILITY_B)
        assert _events(api, b) == []
        registered = parties.b.put("/api/v1/webhook", json={"url": receiver.url})
        assert registered.status_code == 200, registered.text
        second = parties.refer(recipient_edrpou=FACILITY_B)
        expected = [("referral.status_changed", second["id"]), ("delivery.created", second["id"])]
        assert _events(api, b) == expected
        assert parties.b.delete("/api/v1/webhook").status_code == 204
        parties.refer(recipient_edrpou=FACILITY_B)
        # Deleted: the third referral announces nothing.
        assert _events(api, b) == expected
    finally:
        parties.close()
