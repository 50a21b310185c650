"""The signed content is the record: the reuse attacks of issue 11, over real HTTP.

Each test replays what a facility tried: signed bytes submitted to do something they do
not say, request fields that contradict them, a manifest that would re-route a PDF. Each
is refused with its problem type, and nothing is recorded or changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from docex.devpki.pdf import minimal_pdf
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades, sign_pades
from docex.domain import DocumentKind
from tests import signed_content
from tests.api.conftest import FACILITY_A, FACILITY_B, Api
from tests.api.parties import Parties
from tests.api.submitting import document_count, submit
from tests.signed_content import OTHER_PATIENT, PATIENT


@pytest.fixture
def parties(api: Api, pki: DevPki) -> Iterator[Parties]:
    p = Parties(api, pki)
    yield p
    p.close()


def _problem(response: httpx.Response, status: int, problem: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:docex:problem:{problem}"
    return body


def _signed(pki: DevPki, content: bytes, signer: str = "doctor-ecdsa") -> bytes:
    return sign_cades(pki, content, signer=signer, level="B-LT")


def test_a_referral_cannot_be_submitted_as_a_cancellation(parties: Parties, pki: DevPki) -> None:
    victim = parties.refer(recipient_edrpou=FACILITY_B, patient_ref=OTHER_PATIENT)
    mine = signed_content.referral(pki)
    refused = submit(
        parties.a,
        _signed(pki, mine),
        mine,
        kind="referral_cancellation",
        answers_document_id=victim["id"],
    )
    body = _problem(refused, 422, "signed-content")
    assert body["path"] == "resourceType"
    assert (
        body["detail"]
        == "resourceType: a referral_cancellation is a FHIR Task, not 'ServiceRequest'"
    )
    state = parties.a.get(f"/api/v1/referrals/{victim['referral']['id']}").json()
    assert state["status"] == "active"


def test_request_fields_must_equal_the_signed_ones(parties: Parties, pki: DevPki) -> None:
    content = signed_content.referral(pki, performer=FACILITY_B)
    signed = _signed(pki, content)
    for field, value in (
        ("patient_ref", "9999999999"),
        ("recipient_edrpou", "41111111"),
        ("service_code", "K-OTHER"),
        ("priority", "stat"),
    ):
        refused = submit(parties.a, signed, content, claims={field: value})
        body = _problem(refused, 422, "content-mismatch")
        assert body["field"] == field
        assert body["detail"].startswith(f"{field} is {value!r} in the request but ")
    # Repeating the signed values is fine.
    ok = submit(parties.a, signed, content, patient_ref=PATIENT, recipient_edrpou=FACILITY_B)
    assert ok.status_code == 201, ok.text
    assert (ok.json()["patient_ref"], ok.json()["referral"]["status"]) == (PATIENT, "active")


def test_unknown_request_fields_are_refused(parties: Parties, pki: DevPki) -> None:
    content = signed_content.referral(pki)
    refused = submit(parties.a, _signed(pki, content), content, recipent_edrpou=FACILITY_B)
    body = _problem(refused, 422, "input")
    assert "recipent_edrpou" in body["detail"]
    assert document_count(parties.api) == 0


def test_the_same_signed_bytes_make_one_referral(parties: Parties, pki: DevPki) -> None:
    content = signed_content.referral(pki, performer=FACILITY_B)
    signed = _signed(pki, content)
    first = submit(parties.a, signed, content)
    again = submit(parties.a, signed, content)
    # Even signed again (new signature bytes over the same content), it is one record.
    resigned = submit(parties.a, _signed(pki, content), content)
    assert (first.status_code, again.status_code, resigned.status_code) == (201, 200, 200)
    assert again.content == first.content
    assert resigned.json()["id"] == first.json()["id"]
    listed = parties.a.get("/api/v1/referrals").json()
    items = listed["items"] if isinstance(listed, dict) else listed
    assert len(items) == 1


def test_a_recall_must_name_the_referrals_patient(parties: Parties, pki: DevPki) -> None:
    doc = parties.refer(recipient_edrpou=FACILITY_B)
    made_up = signed_content.task(
        pki, DocumentKind.REFERRAL_RECALL, "doctor-ecdsa", focus=doc["id"], patient=OTHER_PATIENT
    )
    refused = submit(parties.a, _signed(pki, made_up), made_up, kind="referral_recall")
    body = _problem(refused, 422, "input")
    assert body["detail"] == "the signed patient is not the referral's patient"
    state = parties.a.get(f"/api/v1/referrals/{doc['referral']['id']}").json()
    assert state["status"] == "active"


def test_a_result_answers_exactly_the_referral_it_names(parties: Parties, pki: DevPki) -> None:
    first = parties.refer(recipient_edrpou=FACILITY_B)
    second = parties.refer(recipient_edrpou=FACILITY_B)
    for doc in (first, second):
        taken = parties.b.post(f"/api/v1/referrals/{doc['referral']['id']}/take")
        assert taken.status_code == 200, taken.text
    content = signed_content.result(pki, answers=first["id"])
    signed = _signed(pki, content, "doctor2-ecdsa")
    refused = submit(
        parties.b, signed, content, kind="examination_result", answers_document_id=second["id"]
    )
    assert _problem(refused, 422, "content-mismatch")["field"] == "answers_document_id"
    # A result for another patient than the referral's is refused by the routing rules.
    other = signed_content.result(pki, answers=first["id"], patient=OTHER_PATIENT)
    wrong_patient = submit(
        parties.b, _signed(pki, other, "doctor2-ecdsa"), other, kind="examination_result"
    )
    assert _problem(wrong_patient, 422, "input")["detail"] == (
        "the result is for another patient than the referral"
    )
    ok = submit(parties.b, signed, content, kind="examination_result")
    assert ok.status_code == 201, ok.text
    assert ok.json()["answers_document_id"] == first["id"]
    completed = parties.a.get(f"/api/v1/referrals/{first['referral']['id']}").json()
    untouched = parties.a.get(f"/api/v1/referrals/{second['referral']['id']}").json()
    assert (completed["status"], untouched["status"]) == ("completed", "in_progress")


def test_schema_violations_name_the_path_in_the_json(parties: Parties, pki: DevPki) -> None:
    content = signed_content.referral(
        pki, subject={"identifier": {"system": "urn:ua:rnokpp", "value": "12345"}}
    )
    refused = submit(parties.a, _signed(pki, content), content)
    body = _problem(refused, 422, "signed-content")
    assert body["path"] == "subject.identifier"
    assert body["detail"] == "subject.identifier: an RNOKPP is 10 digits"
    # A signed text that is not JSON at all is refused too: it says nothing to route by.
    text = b"Referral to a cardiologist"
    body = _problem(submit(parties.a, _signed(pki, text), text), 422, "signed-content")
    assert body["detail"].startswith("the signed content is not JSON")


def _manifest(pki: DevPki, signer: str, payload: bytes, **kw: Any) -> bytes:
    content = signed_content.manifest(
        pki, signer, payload_sha256=hashlib.sha256(payload).hexdigest(), **kw
    )
    return sign_cades(pki, content, signer=signer, level="B-LT", detached=False)


def _post_pdf(
    client: httpx.Client, pdf: bytes, manifest: bytes, claims: dict[str, str] | None = None
) -> httpx.Response:
    return client.post(
        "/api/v1/documents",
        files={
            "file": ("scan.pdf", pdf, "application/pdf"),
            "manifest": ("scan.manifest.p7s", manifest),
        },
        data={"kind": "medical_document", **(claims or {})},
    )


def test_a_pdf_cannot_be_rerouted_without_a_new_signature(parties: Parties, pki: DevPki) -> None:
    pdf = sign_pades(pki, minimal_pdf(), signer="doctor-rsa", level="B-LT")
    manifest = _manifest(pki, "doctor-rsa", pdf, recipient=FACILITY_B)
    first = _post_pdf(parties.a, pdf, manifest)
    assert first.status_code == 201, first.text
    assert (first.json()["patient_ref"], first.json()["kind"]) == (PATIENT, "medical_document")
    # The same PDF and manifest, asked for another patient or recipient: refused.
    for field, value in (("patient_ref", OTHER_PATIENT), ("recipient_edrpou", FACILITY_A)):
        body = _problem(
            _post_pdf(parties.a, pdf, manifest, claims={field: value}), 422, "content-mismatch"
        )
        assert body["field"] == field
    # Without a manifest there is nothing to route the PDF by.
    bare = parties.a.post(
        "/api/v1/documents",
        files={"file": ("scan.pdf", pdf, "application/pdf")},
        data={"kind": "medical_document"},
    )
    assert "signed manifest" in _problem(bare, 422, "signed-content")["detail"]
    # A manifest naming another file does not route this one.
    other_pdf = sign_pades(pki, minimal_pdf(), signer="doctor-rsa", level="B-LT")
    stray = _post_pdf(parties.a, other_pdf, manifest)
    assert _problem(stray, 422, "signed-content")["path"] == "content[0].attachment.url"
    # A manifest signed by someone else than the PDF's signer is not its author's.
    colleague = _manifest(pki, "doctor-ecdsa", pdf)
    assert _problem(_post_pdf(parties.a, pdf, colleague), 403, "author-mismatch")
    assert document_count(parties.api) == 1


def test_a_nul_character_in_a_form_field_is_an_input_error(parties: Parties, pki: DevPki) -> None:
    content = signed_content.referral(pki)
    refused = submit(parties.a, _signed(pki, content), content, patient_ref="12\x0034")
    body = _problem(refused, 422, "input")
    assert "NUL" in body["detail"]
    assert document_count(parties.api) == 0
