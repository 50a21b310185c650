"""The webhook API over real HTTP, with a real receiver, on both deployment shapes.

The app under test runs without its background dispatcher, so that the tests decide when
events are sent and what time it is; the last tests turn it on.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from docex.clock import utcnow
from docex.db.engine import unit_of_work
from docex.settings import Settings
from docex.webhooks.dispatcher import Dispatcher, DispatchStats
from docex.webhooks.outbox import EventType, OutboxEventRecord, enqueue
from tests.api.conftest import FACILITY_A, REPO, Api, replace_settings, serve
from tests.conftest import Backend
from tests.webhooks.conftest import POLICY, Clock, dev_transport
from tests.webhooks.receiver import Receiver, running_receiver


@pytest.fixture
def api_settings(backend: Backend) -> Settings:
    return replace_settings(
        backend.settings, trust=[REPO / "certs-dev" / "trust"], webhooks_enabled=False
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


def _register(api: Api, receiver: Receiver, who: str = "a") -> str:
    with api.client(who) as client:
        response = client.put("/api/v1/webhook", json={"url": receiver.url})
    assert response.status_code == 200, response.text
    secret: str = response.json()["secret"]
    receiver.secret = secret
    return secret


def _emit(api: Api, edrpou: str = FACILITY_A, number: int = 0) -> OutboxEventRecord:
    with unit_of_work(api.runtime.sessions) as session:
        event = enqueue(
            session,
            facility_id=api.facility_ids[edrpou],
            event_type=EventType.DELIVERY_CREATED,
            payload={"document_id": str(uuid.uuid4()), "number": number},
        )
    assert event is not None
    return event


def test_register_read_replace_delete(api: Api, receiver: Receiver) -> None:
    first = _register(api, receiver)
    assert first.startswith("whsec_")
    with api.client("a") as a:
        shown = a.get("/api/v1/webhook")
        assert shown.status_code == 200
        assert shown.json()["url"] == receiver.url
        assert "secret" not in shown.json()
        assert first not in shown.text
        assert _register(api, receiver) != first
        assert a.delete("/api/v1/webhook").status_code == 204
        missing = a.get("/api/v1/webhook")
        assert missing.status_code == 404
        assert missing.json()["type"] == "urn:docex:problem:not-found"
        assert a.delete("/api/v1/webhook").status_code == 404
    with api.client("b") as b:
        # Facility B never had one; A's is not B's.
        assert b.get("/api/v1/webhook").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://mis.example.ua/hooks",
        "https://user:pw@mis.example.ua/hooks",
        "ftp://mis.example.ua/",
        "https://mis.example.ua/" + "a" * 3000,
    ],
)
def test_unacceptable_urls_are_422(api: Api, url: str) -> None:
    with api.client("a") as a:
        response = a.put("/api/v1/webhook", json={"url": url})
    assert response.status_code == 422, response.text
    assert response.json()["type"] in (
        "urn:docex:problem:input",
        "urn:docex:problem:invalid-request",
    )


def test_auditors_and_anonymous_callers_are_refused(api: Api, receiver: Receiver) -> None:
    event_path = f"/api/v1/webhook/events/{uuid.uuid4()}/replay"
    with api.client("auditor") as auditor:
        for response in (
            auditor.put("/api/v1/webhook", json={"url": receiver.url}),
            auditor.delete("/api/v1/webhook"),
            auditor.post(event_path),
            auditor.get("/api/v1/webhook"),
            auditor.get("/api/v1/webhook/events"),
        ):
            assert response.status_code == 403, response.text
            assert response.json()["type"] == "urn:docex:problem:forbidden"
    with api.client(None) as anonymous:
        assert anonymous.put("/api/v1/webhook", json={"url": receiver.url}).status_code == 401


def test_dead_event_is_listed_and_replayed_by_its_facility_only(
    api: Api, receiver: Receiver
) -> None:
    _register(api, receiver)
    event = _emit(api)
    clock = Clock()
    clock.now = utcnow()
    with closing(dev_transport()) as transport:
        dispatcher = Dispatcher(
            api.runtime.sessions,
            transport=transport,
            policy=replace(POLICY, retry_window=timedelta(minutes=2)),
            clock=clock,
        )
        receiver.failing = True
        while dispatcher.dispatch_due().dead == 0:
            clock.advance(timedelta(minutes=1))
        path = f"/api/v1/webhook/events/{event.event_id}"
        with api.client("a") as a, api.client("b") as b:
            dead = a.get("/api/v1/webhook/events", params={"status": "dead"}).json()
            [item] = dead["items"]
            assert item["event_id"] == str(event.event_id)
            assert item["type"] == "delivery.created"
            assert item["last_error"] == "HTTP 503"
            assert item["attempts"] >= 2
            assert item["next_attempt_at"] is None
            assert item["data"] == event.payload
            assert b.get("/api/v1/webhook/events").json()["items"] == []
            # Another facility's event does not exist for B.
            assert b.post(f"{path}/replay").status_code == 404
            assert a.post(f"/api/v1/webhook/events/{uuid.uuid4()}/replay").status_code == 404
            replayed = a.post(f"{path}/replay")
            assert replayed.status_code == 200, replayed.text
            assert replayed.json()["status"] == "pending"
            assert replayed.json()["attempts"] == 0
            # Pending now, so not replayable again.
            again = a.post(f"{path}/replay")
            assert again.status_code == 409
            assert again.json()["type"] == "urn:docex:problem:conflict"
            receiver.failing = False
            clock.now = utcnow()
            assert dispatcher.dispatch_due() == DispatchStats(claimed=1, delivered=1)
            delivered = a.get("/api/v1/webhook/events", params={"status": "delivered"}).json()
            assert [i["event_id"] for i in delivered["items"]] == [str(event.event_id)]
            assert a.post(f"{path}/replay").status_code == 409
    assert receiver.processed == Counter({str(event.event_id): 1})


def test_event_listing_pages(api: Api, receiver: Receiver) -> None:
    _register(api, receiver)
    events = [_emit(api, number=n) for n in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    with api.client("a") as a:
        while True:
            params: dict[str, str | int] = {"limit": 2}
            if cursor is not None:
                params["cursor"] = cursor
            page = a.get("/api/v1/webhook/events", params=params).json()
            seen += [i["event_id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert a.get("/api/v1/webhook/events", params={"cursor": "x"}).status_code == 422
        assert a.get("/api/v1/webhook/events", params={"status": "lost"}).status_code == 422
    assert seen == [str(e.event_id) for e in events]


def test_the_apps_own_dispatcher_delivers(
    api: Api, api_settings: Settings, receiver: Receiver
) -> None:
    _register(api, receiver)
    events = [_emit(api, number=n) for n in range(3)]
    settings = replace_settings(
        api_settings, webhooks_enabled=True, webhook_poll_interval_seconds=0.05
    )
    with serve(settings, api.runtime) as url:
        receiver.wait_processed(len(events))
        with httpx.Client(base_url=url) as client:
            assert client.get("/healthz").status_code == 200
    assert receiver.processed == Counter({str(e.event_id): 1 for e in events})
    assert receiver.bad_signatures == 0


def test_events_written_while_the_service_was_down_are_sent_after_restart(
    api: Api, api_settings: Settings, receiver: Receiver
) -> None:
    _register(api, receiver)
    # The service that wrote these is gone before any dispatcher ran (it has none here).
    events = [_emit(api, number=n) for n in range(3)]
    settings = replace_settings(
        api_settings, webhooks_enabled=True, webhook_poll_interval_seconds=0.05
    )
    # A new process: the app builds its own runtime (engine, store) from settings alone.
    with serve(settings, None):
        receiver.wait_processed(len(events))
    assert receiver.processed == Counter({str(e.event_id): 1 for e in events})
    assert receiver.delivery_counts == receiver.processed
