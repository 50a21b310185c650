"""Looking the facility registry up over real HTTP: by EDRPOU, paged, no internal ids."""

from __future__ import annotations

import base64
from typing import Any

from docex.audit.log import SYSTEM
from docex.db.engine import unit_of_work
from docex.registry.facilities import add_facility
from docex.services.facilities import deactivate_facility
from tests.api.conftest import FACILITY_A, FACILITY_B, Api

CLOSED = "30000001"


def _with_a_closed_facility(api: Api) -> None:
    with unit_of_work(api.backend.sessions) as session:
        add_facility(session, edrpou=CLOSED, name="Closed Clinic")
    deactivate_facility(sessions=api.backend.sessions, actor=SYSTEM, edrpou=CLOSED)


def _pages(client: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    pages = []
    cursor = None
    while True:
        query = params if cursor is None else {**params, "cursor": cursor}
        response = client.get("/api/v1/facilities", params=query)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        pages.append(body)
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_any_token_pages_through_the_registry_by_edrpou(api: Api) -> None:
    _with_a_closed_facility(api)
    for who in ("a", "auditor"):
        with api.client(who) as client:
            pages = _pages(client, {"limit": 2})
        assert [[f["edrpou"] for f in page["items"]] for page in pages] == [
            [CLOSED, FACILITY_A],
            [FACILITY_B],
        ]
    first = pages[0]["items"][0]
    assert first == {"edrpou": CLOSED, "name": "Closed Clinic", "status": "inactive"}
    # The cursor is opaque, and under it is the EDRPOU, not docex's row id.
    decoded = base64.urlsafe_b64decode(pages[0]["next_cursor"] + "==").decode()
    assert decoded == f'["code", "{FACILITY_A}"]'


def test_filters_by_edrpou_and_status(api: Api) -> None:
    _with_a_closed_facility(api)
    with api.client("b") as b:
        one = b.get("/api/v1/facilities", params={"edrpou": FACILITY_A}).json()
        active = b.get("/api/v1/facilities", params={"status": "active"}).json()
        closed = b.get("/api/v1/facilities", params={"status": "inactive"}).json()
        none = b.get("/api/v1/facilities", params={"edrpou": "99999999"}).json()
        both = b.get("/api/v1/facilities", params={"edrpou": CLOSED, "status": "active"})
        malformed = b.get("/api/v1/facilities", params={"edrpou": "3829104"})
        bad_cursor = b.get("/api/v1/facilities", params={"cursor": "1"})
    assert one == {
        "items": [{"edrpou": FACILITY_A, "name": "Facility A", "status": "active"}],
        "next_cursor": None,
    }
    assert [f["edrpou"] for f in active["items"]] == [FACILITY_A, FACILITY_B]
    assert [f["edrpou"] for f in closed["items"]] == [CLOSED]
    assert none == {"items": [], "next_cursor": None}
    assert both.json()["items"] == []
    assert malformed.status_code == 422
    assert (bad_cursor.status_code, bad_cursor.json()["detail"]) == (422, "invalid cursor")


def test_one_facility_by_edrpou(api: Api) -> None:
    _with_a_closed_facility(api)
    with api.client("a") as a, api.client(None) as anonymous:
        b = a.get(f"/api/v1/facilities/{FACILITY_B}")
        closed = a.get(f"/api/v1/facilities/{CLOSED}")
        missing = a.get("/api/v1/facilities/99999999")
        malformed = a.get("/api/v1/facilities/1")
        unauthenticated = anonymous.get(f"/api/v1/facilities/{FACILITY_B}")
        unlisted = anonymous.get("/api/v1/facilities")
    assert (b.status_code, b.json()) == (
        200,
        {"edrpou": FACILITY_B, "name": "Facility B", "status": "active"},
    )
    assert closed.json()["status"] == "inactive"
    assert (missing.status_code, missing.json()["type"]) == (404, "urn:docex:problem:not-found")
    assert missing.json()["detail"] == "no facility with EDRPOU 99999999"
    assert malformed.status_code == 422
    assert unauthenticated.status_code == unlisted.status_code == 401
