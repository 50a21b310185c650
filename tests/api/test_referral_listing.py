"""GET /api/v1/referrals over HTTP: keyset pages, EDRPOU filters, no internal ids.

Facility A (38291045) refers, facility B (40123457) performs, C takes part in nothing.
Runs on SQLite+local and PostgreSQL+S3.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from docex.devpki.pki import DevPki
from tests.api.conftest import FACILITY_A, FACILITY_B, Api
from tests.api.parties import Parties


@pytest.fixture
def parties(api: Api, pki: DevPki) -> Iterator[Parties]:
    p = Parties(api, pki)
    yield p
    p.close()


def test_referrals_page_by_cursor_and_filter_by_edrpou(parties: Parties) -> None:
    made = [
        parties.refer(recipient_edrpou=FACILITY_B, service_code="K-01")["referral"]["id"],
        parties.refer(recipient_edrpou=FACILITY_B, service_code="K-02")["referral"]["id"],
        parties.refer(service_code="K-03")["referral"]["id"],
    ]
    first = parties.a.get("/api/v1/referrals", params={"limit": 2})
    assert first.status_code == 200, first.text
    body = first.json()
    assert [r["id"] for r in body["items"]] == made[:2]
    assert body["next_cursor"] is not None
    second = parties.a.get(
        "/api/v1/referrals", params={"limit": 2, "cursor": body["next_cursor"]}
    ).json()
    assert [r["id"] for r in second["items"]] == made[2:]
    assert second["next_cursor"] is None

    # Facilities by EDRPOU, never by the registry's integer ids.
    item = body["items"][0]
    assert (item["issuer_edrpou"], item["performer_edrpou"], item["taken_by_edrpou"]) == (
        FACILITY_A,
        FACILITY_B,
        None,
    )
    assert not [key for key in item if key.endswith("facility_id")]

    def codes(params: dict[str, str]) -> list[str]:
        page = parties.auditor.get("/api/v1/referrals", params=params)
        assert page.status_code == 200, page.text
        return [r["service_code"] for r in page.json()["items"]]

    assert codes({"performer": FACILITY_B}) == ["K-01", "K-02"]
    assert codes({"issuer": FACILITY_A, "performer": FACILITY_B}) == ["K-01", "K-02"]
    assert codes({"issuer": FACILITY_B}) == []
    assert [r["service_code"] for r in parties.b.get("/api/v1/referrals").json()["items"]] == [
        "K-01",
        "K-02",
    ]
    assert parties.c.get("/api/v1/referrals", params={"issuer": FACILITY_A}).json() == {
        "items": [],
        "next_cursor": None,
    }


def test_malformed_referral_filters_are_refused(parties: Parties) -> None:
    for params in ({"performer": "4012"}, {"issuer": "forty"}, {"role": "watching"}):
        response = parties.a.get("/api/v1/referrals", params=params)
        assert response.status_code == 422, params
    bad_cursor = parties.a.get("/api/v1/referrals", params={"cursor": "nonsense"})
    # Refused by the service, not the schema: a cursor is opaque until it is decoded.
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["detail"] == "invalid cursor"
