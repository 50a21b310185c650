"""Referrals, examination results, inboxes and acknowledgements end to end over HTTP.

Facility A (38291045) refers, facility B (40123457) performs; a third facility C takes
part in nothing and must see nothing. Runs on SQLite+local and PostgreSQL+S3.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from docex.db.engine import unit_of_work
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.services.referrals import expire_referrals
from tests.api.conftest import FACILITY_A, FACILITY_B, Api
from tests.api.parties import PATIENT, Parties
from tests.signed_content import OTHER_PATIENT


@pytest.fixture
def parties(api: Api, pki: DevPki) -> Iterator[Parties]:
    p = Parties(api, pki)
    yield p
    p.close()


def _statuses(client: httpx.Client, referral_id: str) -> list[tuple[str | None, str]]:
    history = client.get(f"/api/v1/referrals/{referral_id}").json()["history"]
    return [(t["from_status"], t["to_status"]) for t in history]


def test_referral_to_result_to_acknowledgement(parties: Parties) -> None:
    doc = parties.refer(recipient_edrpou=FACILITY_B)
    referral = doc["referral"]
    assert referral["status"] == "active"
    assert len(referral["requisition_number"]) == 14

    inbox = parties.b.get("/api/v1/inbox").json()["items"]
    assert [(i["document"]["id"], i["status"]) for i in inbox] == [(doc["id"], "pending")]
    assert parties.b.get(f"/api/v1/documents/{doc['id']}/content").status_code == 200
    assert parties.b.get("/api/v1/inbox").json()["items"][0]["status"] == "fetched"

    taken = parties.b.post(f"/api/v1/referrals/{referral['id']}/take")
    assert taken.status_code == 200, taken.text
    assert taken.json()["status"] == "in_progress"

    result = parties.result(doc["id"])
    assert result.status_code == 201, result.text
    state = parties.a.get(f"/api/v1/referrals/{referral['id']}").json()
    assert state["status"] == "completed"
    assert state["result_document_id"] == result.json()["id"]
    assert _statuses(parties.a, referral["id"]) == [
        (None, "active"),
        ("active", "in_progress"),
        ("in_progress", "completed"),
    ]
    history = parties.a.get(f"/api/v1/referrals/{referral['id']}").json()["history"]
    assert history[1]["actor_edrpou"] == FACILITY_B
    assert (state["issuer_edrpou"], state["performer_edrpou"], state["taken_by_edrpou"]) == (
        FACILITY_A,
        FACILITY_B,
        FACILITY_B,
    )

    a_inbox = parties.a.get("/api/v1/inbox", params={"kind": "examination_result"}).json()
    (delivery,) = a_inbox["items"]
    assert delivery["document"]["id"] == result.json()["id"]
    premature = parties.a.post(f"/api/v1/deliveries/{delivery['id']}/ack")
    assert premature.status_code == 409
    assert premature.json()["type"] == "urn:docex:problem:transition"
    parties.a.get(f"/api/v1/documents/{result.json()['id']}/content")
    acked = parties.a.post(f"/api/v1/deliveries/{delivery['id']}/ack")
    assert acked.status_code == 200
    assert acked.json()["status"] == "acknowledged"
    assert parties.a.post(f"/api/v1/deliveries/{delivery['id']}/ack").status_code == 409


def test_forbidden_transitions_are_409_with_a_reason(parties: Parties) -> None:
    doc = parties.refer(recipient_edrpou=FACILITY_B)
    ref = doc["referral"]["id"]
    # Not taken: B cannot release or answer it; A cannot take its own referral to B.
    release = parties.b.post(f"/api/v1/referrals/{ref}/release")
    assert release.status_code == 409
    assert "only from: in_progress" in release.json()["detail"]
    assert parties.result(doc["id"]).status_code == 409
    assert parties.a.post(f"/api/v1/referrals/{ref}/take").status_code == 404
    assert parties.b.post(f"/api/v1/referrals/{ref}/take").status_code == 200
    assert parties.b.post(f"/api/v1/referrals/{ref}/take").status_code == 409
    # In progress: the issuer cannot recall it.
    recall = parties.submit(
        parties.a, "doctor-ecdsa", "referral_recall", "Recall", answers_document_id=doc["id"]
    )
    assert recall.status_code == 409
    assert parties.b.post(f"/api/v1/referrals/{ref}/release").json()["status"] == "active"
    assert parties.b.post(f"/api/v1/referrals/{ref}/take").status_code == 200
    assert parties.result(doc["id"]).status_code == 201
    # Completed: no recall, no second result; a cancellation marks it entered in error.
    recall = parties.submit(
        parties.a, "doctor-ecdsa", "referral_recall", "Recall", answers_document_id=doc["id"]
    )
    assert recall.status_code == 409
    assert parties.result(doc["id"], text="Second result").status_code == 409
    # Only the issuer may cancel.
    foreign = parties.submit(
        parties.b,
        "doctor2-ecdsa",
        "referral_cancellation",
        "Cancel",
        answers_document_id=doc["id"],
    )
    assert foreign.status_code == 403
    cancel = parties.submit(
        parties.a,
        "doctor-ecdsa",
        "referral_cancellation",
        "Cancel",
        answers_document_id=doc["id"],
    )
    assert cancel.status_code == 201, cancel.text
    assert parties.a.get(f"/api/v1/referrals/{ref}").json()["status"] == "entered_in_error"
    again = parties.submit(
        parties.a,
        "doctor-ecdsa",
        "referral_cancellation",
        "Cancel again",
        answers_document_id=doc["id"],
    )
    assert again.status_code == 409


def test_issuer_recalls_an_active_referral_with_a_signed_recall(parties: Parties) -> None:
    doc = parties.refer(recipient_edrpou=FACILITY_B)
    recall = parties.submit(
        parties.a, "doctor-ecdsa", "referral_recall", "Recall", answers_document_id=doc["id"]
    )
    assert recall.status_code == 201, recall.text
    state = parties.a.get(f"/api/v1/referrals/{doc['referral']['id']}").json()
    assert state["status"] == "recalled"
    assert state["history"][-1]["document_id"] == recall.json()["id"]
    # The performer is told: the recall is in its inbox.
    kinds = [i["document"]["kind"] for i in parties.b.get("/api/v1/inbox").json()["items"]]
    assert kinds == ["referral", "referral_recall"]
    assert parties.b.post(f"/api/v1/referrals/{doc['referral']['id']}/take").status_code == 409


def test_expiry_recalls_active_referrals(parties: Parties) -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    doc = parties.refer(recipient_edrpou=FACILITY_B, valid_until=soon)
    ref = doc["referral"]["id"]
    assert (
        expire_referrals(sessions=parties.api.runtime.sessions, events=parties.api.runtime.events)
        == ()
    )
    later = datetime.now(UTC) + timedelta(minutes=10)
    (recalled,) = expire_referrals(
        sessions=parties.api.runtime.sessions, events=parties.api.runtime.events, now=later
    )
    assert (str(recalled.id), recalled.status.value) == (ref, "recalled")
    state = parties.a.get(f"/api/v1/referrals/{ref}").json()
    assert state["status"] == "recalled"
    assert state["history"][-1]["actor_edrpou"] is None
    assert state["history"][-1]["reason"].startswith("expired")
    assert parties.b.post(f"/api/v1/referrals/{ref}/take").status_code == 409
    # A default referral is valid for seven days.
    default = parties.refer()["referral"]
    until = datetime.fromisoformat(default["valid_until"])
    assert timedelta(days=6) < until - datetime.now(UTC) < timedelta(days=8, hours=1)


def test_unaddressed_referral_is_claimed_by_requisition_number(parties: Parties) -> None:
    doc = parties.refer()
    number = doc["referral"]["requisition_number"]
    # Nobody else sees an unaddressed referral, and its id alone does not let B take it.
    assert parties.b.get(f"/api/v1/referrals/{doc['referral']['id']}").status_code == 404
    assert parties.b.post(f"/api/v1/referrals/{doc['referral']['id']}/take").status_code == 404
    wrong = parties.b.post(
        "/api/v1/referrals/take", json={"requisition_number": number, "patient_ref": "other"}
    )
    assert wrong.status_code == 404
    taken = parties.b.post(
        "/api/v1/referrals/take",
        json={"requisition_number": number.lower().replace("-", " "), "patient_ref": PATIENT},
    )
    assert taken.status_code == 200, taken.text
    assert (taken.json()["performer_edrpou"], taken.json()["taken_by_edrpou"]) == (None, FACILITY_B)
    # Taking routed the signed referral to B, which can now read it.
    assert parties.b.get(f"/api/v1/documents/{doc['id']}/content").status_code == 200
    assert parties.result(doc["id"]).status_code == 201


def test_corrected_result_supersedes_the_earlier_one(parties: Parties) -> None:
    doc = parties.refer(recipient_edrpou=FACILITY_B)
    parties.b.post(f"/api/v1/referrals/{doc['referral']['id']}/take")
    first = parties.result(doc["id"]).json()
    second = parties.result(None, text="Corrected result", replaces_document_id=first["id"])
    assert second.status_code == 201, second.text
    old = parties.a.get(f"/api/v1/documents/{first['id']}").json()
    new = parties.a.get(f"/api/v1/documents/{second.json()['id']}").json()
    assert (old["status"], old["superseded_by_document_id"]) == ("superseded", new["id"])
    assert (new["status"], new["replaces_document_id"]) == ("current", old["id"])
    state = parties.a.get(f"/api/v1/referrals/{doc['referral']['id']}").json()
    assert state["result_document_id"] == new["id"]
    delivered = [
        i["document"]["id"]
        for i in parties.a.get("/api/v1/inbox", params={"kind": "examination_result"}).json()[
            "items"
        ]
    ]
    assert delivered == [old["id"], new["id"]]
    again = parties.result(None, text="Third", replaces_document_id=first["id"])
    assert again.status_code == 409


def test_standalone_result_and_signed_receipt(parties: Parties) -> None:
    result = parties.result(None, recipient_edrpou=FACILITY_A)
    assert result.status_code == 201, result.text
    (item,) = parties.a.get("/api/v1/inbox").json()["items"]
    parties.a.get(f"/api/v1/documents/{result.json()['id']}/content")
    content = parties.content(
        "doctor-rsa", "receipt", "received", answers_document_id=result.json()["id"]
    )
    receipt = sign_cades(parties.pki, content, signer="doctor-rsa", level="B-LT", detached=False)
    # A receipt for another patient than the delivered document's is refused.
    other = parties.content(
        "doctor-rsa",
        "receipt",
        "received",
        answers_document_id=result.json()["id"],
        patient_ref=OTHER_PATIENT,
    )
    wrong = parties.a.post(
        f"/api/v1/deliveries/{item['id']}/ack",
        files={
            "file": (
                "receipt.p7s",
                sign_cades(parties.pki, other, signer="doctor-rsa", level="B-LT", detached=False),
            )
        },
    )
    assert (wrong.status_code, wrong.json()["type"]) == (422, "urn:docex:problem:content-mismatch")
    assert wrong.json()["field"] == "patient_ref"
    acked = parties.a.post(
        f"/api/v1/deliveries/{item['id']}/ack", files={"file": ("receipt.p7s", receipt)}
    )
    assert acked.status_code == 200, acked.text
    assert acked.json()["status"] == "acknowledged"
    receipt_id = acked.json()["receipt_document_id"]
    assert receipt_id is not None
    # The sender gets the receipt; a bad receipt is refused like any document.
    kinds = [i["document"]["kind"] for i in parties.b.get("/api/v1/inbox").json()["items"]]
    assert "receipt" in kinds
    assert parties.b.get(f"/api/v1/documents/{receipt_id}").status_code == 200


def test_third_facility_sees_nothing_anywhere(parties: Parties) -> None:
    doc = parties.refer(recipient_edrpou=FACILITY_B)
    ref = doc["referral"]["id"]
    parties.b.post(f"/api/v1/referrals/{ref}/take")
    result = parties.result(doc["id"]).json()
    delivery = parties.a.get("/api/v1/inbox").json()["items"][0]["id"]
    c = parties.c
    for path in (
        f"/api/v1/documents/{doc['id']}",
        f"/api/v1/documents/{doc['id']}/content",
        f"/api/v1/documents/{doc['id']}/report",
        f"/api/v1/documents/{result['id']}",
        f"/api/v1/referrals/{ref}",
    ):
        assert c.get(path).status_code == 404, path
    for path in (
        f"/api/v1/referrals/{ref}/take",
        f"/api/v1/referrals/{ref}/release",
        f"/api/v1/deliveries/{delivery}/ack",
        f"/api/v1/documents/{doc['id']}/revalidate",
    ):
        assert c.post(path).status_code == 404, path
    assert c.get("/api/v1/inbox").json()["items"] == []
    assert c.get("/api/v1/referrals").json() == {"items": [], "next_cursor": None}
    assert c.get("/api/v1/documents").json()["items"] == []


def test_auditor_reads_everything_and_revalidates(parties: Parties) -> None:
    doc = parties.refer(recipient_edrpou=FACILITY_B)
    ref = doc["referral"]["id"]
    assert parties.auditor.get(f"/api/v1/referrals/{ref}").status_code == 200
    assert parties.auditor.post(f"/api/v1/referrals/{ref}/take").status_code == 403
    assert parties.auditor.get("/api/v1/inbox").status_code == 403
    report = parties.auditor.get(f"/api/v1/documents/{doc['id']}/report").json()
    assert report["acceptance_report"]["indication"] == "TOTAL_PASSED"
    assert report["revalidations"] == []
    now = parties.auditor.post(f"/api/v1/documents/{doc['id']}/revalidate")
    assert now.status_code == 201, now.text
    assert (now.json()["indication"], now.json()["qualification"]) == ("TOTAL_PASSED", "QESig")
    past = parties.auditor.post(
        f"/api/v1/documents/{doc['id']}/revalidate", json={"at": "2027-01-01T00:00:00+00:00"}
    )
    assert past.json()["validation_time"].startswith("2027-01-01")
    history = parties.auditor.get(f"/api/v1/documents/{doc['id']}/report").json()
    assert len(history["revalidations"]) == 2
    assert history["acceptance_report"] == report["acceptance_report"]


def test_routing_is_in_the_audit_trail_and_the_chain_holds(parties: Parties) -> None:
    from docex.audit.verify import verify_chain

    doc = parties.refer(recipient_edrpou=FACILITY_B)
    ref = doc["referral"]["id"]
    parties.b.get(f"/api/v1/documents/{doc['id']}/content")
    parties.b.post(f"/api/v1/referrals/{ref}/take")
    result = parties.result(doc["id"]).json()
    parties.a.get(f"/api/v1/documents/{result['id']}/content")
    delivery = parties.a.get("/api/v1/inbox").json()["items"][0]["id"]
    parties.a.post(f"/api/v1/deliveries/{delivery}/ack")
    parties.auditor.post(f"/api/v1/documents/{doc['id']}/revalidate")

    def entries(action: str) -> list[dict[str, Any]]:
        page = parties.auditor.get("/api/v1/audit", params={"action": action, "limit": 200})
        assert page.status_code == 200, page.text
        items: list[dict[str, Any]] = page.json()["items"]
        return items

    transitions = entries("referral.transition")
    assert [
        (e["details"]["from"], e["details"]["to"], e["actor_facility_edrpou"]) for e in transitions
    ] == [
        (None, "active", FACILITY_A),
        ("active", "in_progress", FACILITY_B),
        ("in_progress", "completed", FACILITY_B),
    ]
    steps = [
        (e["action"], e["actor_facility_edrpou"], e["details"].get("to_edrpou"))
        for e in entries("delivery.*")
    ]
    assert steps == [
        ("delivery.create", None, FACILITY_B),  # the referral, routed to B by docex itself
        ("delivery.fetch", FACILITY_B, None),
        ("delivery.create", None, FACILITY_A),  # the result, routed back to A
        ("delivery.fetch", FACILITY_A, None),
        ("delivery.ack", FACILITY_A, None),
    ]
    (revalidated,) = entries("document.revalidate")
    assert revalidated["actor_kind"] == "auditor"
    assert revalidated["details"]["indication"] == "TOTAL_PASSED"
    with unit_of_work(parties.api.backend.sessions) as session:
        verdict = verify_chain(session)
    assert verdict.ok, verdict
