"""Routing changes reach the facilities' webhooks: deliveries and referral status changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from docex.devpki.pki import DevPki
from docex.settings import Settings
from docex.webhooks.dispatcher import Dispatcher
from tests.api.conftest import FACILITY_A, FACILITY_B, REPO, Api, replace_settings
from tests.api.parties import Parties
from tests.conftest import Backend
from tests.webhooks.conftest import POLICY, dev_transport
from tests.webhooks.receiver import Receiver, running_receiver


@pytest.fixture
def api_settings(backend: Backend) -> Settings:
    # The test drains the outbox itself, so that it knows when every event was sent.
    return replace_settings(
        backend.settings, trust=[REPO / "certs-dev" / "trust"], webhooks_enabled=False
    )


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    with running_receiver() as a, running_receiver() as b:
        yield a, b


def test_deliveries_and_status_changes_are_posted_to_each_party(
    api: Api, pki: DevPki, receivers: tuple[Receiver, Receiver]
) -> None:
    parties = Parties(api, pki)
    try:
        for client, receiver in ((parties.a, receivers[0]), (parties.b, receivers[1])):
            response = client.put("/api/v1/webhook", json={"url": receiver.url})
            assert response.status_code == 200, response.text
            receiver.secret = response.json()["secret"]
        doc = parties.refer(recipient_edrpou=FACILITY_B)
        referral_id = doc["referral"]["id"]
        assert parties.b.post(f"/api/v1/referrals/{referral_id}/take").status_code == 200
        result = parties.result(doc["id"])
        assert result.status_code == 201
    finally:
        parties.close()
    transport = dev_transport()
    try:
        Dispatcher(api.runtime.sessions, transport=transport, policy=POLICY).drain()
    finally:
        transport.close()
    a_events = [(r.json()["type"], r.json()["data"]) for r in receivers[0].requests]
    b_events = [(r.json()["type"], r.json()["data"]) for r in receivers[1].requests]
    # B: a referral was issued to it, and delivered. A: B took it, then completed it, and
    # the result was delivered to A. Nobody is told about its own action.
    assert [(t, d.get("document_id"), d.get("status")) for t, d in b_events] == [
        ("referral.status_changed", doc["id"], "active"),
        ("delivery.created", doc["id"], None),
    ]
    assert [(t, d.get("status")) for t, d in a_events] == [
        ("referral.status_changed", "in_progress"),
        ("referral.status_changed", "completed"),
        ("delivery.created", None),
    ]
    assert a_events[-1][1]["document_id"] == result.json()["id"]
    # Facilities by EDRPOU, as clients know them; never by docex's row ids.
    assert (b_events[-1][1]["from_edrpou"], a_events[-1][1]["from_edrpou"]) == (
        FACILITY_A,
        FACILITY_B,
    )
    assert not [k for _, d in a_events + b_events for k in d if k.endswith("facility_id")]
    assert all(r.bad_signatures == 0 for r in receivers)
    assert all(count == 1 for r in receivers for count in r.processed.values())
