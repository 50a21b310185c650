"""The documents API over real HTTP, on SQLite+local and on PostgreSQL+S3."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

import httpx
import pytest

from docex.devpki.pdf import minimal_pdf
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades, sign_pades
from docex.storage.base import content_key
from tests import signed_content
from tests.api.conftest import (
    FACILITY_B,
    REFERRAL,
    Api,
    replace_settings,
    runtime_for,
    serve,
)
from tests.api.submitting import document_count, stored_keys, submit


def test_submit_read_and_fetch_the_original(api: Api, good_sig: bytes) -> None:
    with api.client("a") as a:
        response = submit(a, good_sig)
        assert response.status_code == 201, response.text
        doc = response.json()
        assert response.headers["location"] == f"/api/v1/documents/{doc['id']}"
        assert (doc["indication"], doc["qualification"]) == ("TOTAL_PASSED", "QESig")
        assert doc["sha256"] == hashlib.sha256(good_sig).hexdigest()
        assert doc["detached_content_sha256"] == hashlib.sha256(REFERRAL).hexdigest()
        assert doc["signer_rnokpp"]
        full = a.get(f"/api/v1/documents/{doc['id']}").json()
        assert full["validation_report"]["indication"] == "TOTAL_PASSED"
        assert (
            full["validation_report"]["signatures"][0]["signer"]["rnokpp"] == doc["signer_rnokpp"]
        )
        content = a.get(f"/api/v1/documents/{doc['id']}/content")
        assert content.status_code == 200
        assert content.content == good_sig
        assert content.headers["etag"] == f'"{doc["sha256"]}"'
        again = a.get(
            f"/api/v1/documents/{doc['id']}/content",
            headers={"If-None-Match": content.headers["etag"]},
        )
        assert again.status_code == 304
    assert set(stored_keys(api)) == {
        content_key(doc["sha256"]),
        content_key(doc["detached_content_sha256"]),
    }


def test_submit_as_json_with_base64(api: Api, pki: DevPki) -> None:
    content = signed_content.referral(pki, "doctor-rsa")
    attached = sign_cades(pki, content, signer="doctor-rsa", level="B-LT", detached=False)
    body = {
        "signed_content": base64.b64encode(attached).decode(),
        "signed_content_encoding": "base64",
        "kind": "referral",
        "patient_ref": signed_content.PATIENT,
    }
    with api.client("a") as a:
        response = a.post("/api/v1/documents", json=body)
        assert response.status_code == 201, response.text
        assert (response.json()["kind"], response.json()["patient_ref"]) == (
            "referral",
            signed_content.PATIENT,
        )
        # A field the submission does not have is refused, not ignored.
        typo = a.post("/api/v1/documents", json={**body, "recipent_edrpou": FACILITY_B})
    assert typo.status_code == 422
    assert "recipent_edrpou" in typo.json()["detail"]


def test_pades_medical_document_addressed_by_its_manifest(api: Api, pki: DevPki) -> None:
    pdf = sign_pades(pki, minimal_pdf(), signer="doctor-rsa", level="B-LTA")
    manifest = signed_content.manifest(
        pki, "doctor-rsa", payload_sha256=hashlib.sha256(pdf).hexdigest(), recipient=FACILITY_B
    )
    signed_manifest = sign_cades(pki, manifest, signer="doctor-rsa", level="B-LT", detached=False)
    with api.client("a") as a, api.client("b") as b:
        response = a.post(
            "/api/v1/documents",
            files={
                "file": ("result.pdf", pdf, "application/pdf"),
                "manifest": ("result.manifest.p7s", signed_manifest),
            },
            data={"kind": "medical_document", "recipient_edrpou": FACILITY_B},
        )
        assert response.status_code == 201, response.text
        doc_id = response.json()["id"]
        assert response.json()["content_type"] == "application/pdf"
        assert b.get(f"/api/v1/documents/{doc_id}").status_code == 200
        assert b.get(f"/api/v1/documents/{doc_id}/content").content == pdf


@pytest.mark.parametrize(
    ("case", "status", "problem"),
    [
        ("tampered", 422, "signature-rejected"),
        ("nonqualified", 422, "signature-rejected"),
        ("revoked", 422, "signature-rejected"),
        ("try-later", 422, "signature-rejected"),
        ("other-facility-doctor", 403, "signer-not-authorized"),
        ("signer-not-the-author", 403, "author-mismatch"),
        ("seal-on-referral", 422, "signature-rejected"),
        ("not-a-signature", 415, "not-a-signature"),
    ],
)
def test_rejections_store_nothing(
    api: Api, pki: DevPki, good_sig: bytes, case: str, status: int, problem: str
) -> None:
    signed, content = good_sig, REFERRAL
    if case == "tampered":
        content = REFERRAL + b"!"
    elif case == "nonqualified":
        signed = sign_cades(pki, REFERRAL, signer="nonqualified", level="B-LT")
    elif case == "revoked":
        signed = sign_cades(pki, REFERRAL, signer="revoked", level="B-LT")
    elif case == "try-later":
        signed = sign_cades(pki, REFERRAL, signer="doctor-ecdsa", level="B-B")
    elif case == "other-facility-doctor":
        content = signed_content.referral(pki, "doctor2-ecdsa")
        signed = sign_cades(pki, content, signer="doctor2-ecdsa", level="B-LT")
    elif case == "signer-not-the-author":
        # A colleague at the same facility signs a referral that names another author.
        signed = sign_cades(pki, REFERRAL, signer="doctor-rsa", level="B-LT")
    elif case == "seal-on-referral":
        signed = sign_cades(pki, REFERRAL, signer="facility-seal", level="B-LT")
    elif case == "not-a-signature":
        signed = b"this is not a signature"
    with api.client("a") as a:
        response = submit(a, signed, content)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"urn:docex:problem:{problem}"
    assert body["status"] == status
    assert body["detail"]
    if problem in ("signature-rejected", "signer-not-authorized", "author-mismatch"):
        assert body["validation_report"]["report_version"] == "1"
    assert document_count(api) == 0
    assert stored_keys(api) == []


def test_seal_accepted_where_the_kind_allows_it(api: Api, pki: DevPki) -> None:
    result = signed_content.result(pki, "facility-seal", recipient=FACILITY_B)
    sealed = sign_cades(pki, result, signer="facility-seal", level="B-LT")
    with api.client("a") as a, api.client("b") as b:
        ok = submit(a, sealed, result, kind="examination_result", recipient_edrpou=FACILITY_B)
        assert ok.status_code == 201, ok.text
        assert ok.json()["qualification"] == "QESeal"
        # Facility B may not submit facility A's seal.
        refused = submit(b, sealed, result, kind="examination_result")
        assert refused.status_code == 403
        assert refused.json()["type"] == "urn:docex:problem:signer-not-authorized"


def test_authentication_and_auditors_cannot_submit(api: Api, good_sig: bytes) -> None:
    with api.client(None) as anonymous:
        assert submit(anonymous, good_sig).status_code == 401
        bad = anonymous.get("/api/v1/documents", headers={"Authorization": "Bearer dxt_nope"})
        assert bad.status_code == 401
        assert bad.headers["www-authenticate"] == "Bearer"
    with api.client("auditor") as auditor:
        response = submit(auditor, good_sig)
        assert response.status_code == 403
        assert response.json()["type"] == "urn:docex:problem:forbidden"
    assert document_count(api) == 0


def test_idempotency_key_returns_the_first_result(api: Api, pki: DevPki, good_sig: bytes) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    with api.client("a") as a:
        first = submit(a, good_sig, headers=key)
        second = submit(a, good_sig, headers=key)
        assert (first.status_code, second.status_code) == (201, 200)
        # The replay is the first answer whole, the referral's requisition number included.
        assert first.json()["referral"]["requisition_number"]
        assert second.content == first.content
        assert second.headers["idempotent-replayed"] == "true"
        another = signed_content.referral(pki)
        other = sign_cades(pki, another, signer="doctor-ecdsa", level="B-LT")
        conflict = submit(a, other, another, headers=key)
        assert conflict.status_code == 409
        assert conflict.json()["type"] == "urn:docex:problem:idempotency-conflict"
        # Without a key the same signed content is still one record: the first answer again.
        again = submit(a, good_sig)
        assert (again.status_code, again.content) == (200, first.content)
    assert document_count(api) == 1


def test_cross_facility_access_is_denied_everywhere(api: Api, pki: DevPki, good_sig: bytes) -> None:
    with api.client("a") as a, api.client("b") as b, api.client("auditor") as auditor:
        doc_id = submit(a, good_sig).json()["id"]
        for path in (f"/api/v1/documents/{doc_id}", f"/api/v1/documents/{doc_id}/content"):
            denied = b.get(path)
            assert denied.status_code == 404
            assert denied.json()["type"] == "urn:docex:problem:not-found"
            assert auditor.get(path).status_code == 200
        assert b.get("/api/v1/documents").json()["items"] == []
        assert [d["id"] for d in auditor.get("/api/v1/documents").json()["items"]] == [doc_id]
        # A facility may not answer a document it cannot see.
        result = signed_content.result(pki, "doctor2-ecdsa", answers=doc_id)
        signed = sign_cades(pki, result, signer="doctor2-ecdsa", level="B-LT")
        answer = submit(b, signed, result, kind="examination_result")
        assert answer.status_code == 404, answer.text
        assert answer.json()["type"] == "urn:docex:problem:not-found"


def test_listing_filters_and_cursor_pagination(api: Api, pki: DevPki) -> None:
    patients = ("1111111111", "2222222222")
    with api.client("a") as a:
        ids = []
        for i in range(5):
            content = signed_content.referral(pki, patient=patients[i % 2])
            signed = sign_cades(pki, content, signer="doctor-ecdsa", level="B-LT")
            ids.append(submit(a, signed, content).json()["id"])
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = a.get("/api/v1/documents", params=params).json()
            seen += [d["id"] for d in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == ids
        patient = a.get("/api/v1/documents", params={"patient": patients[1]}).json()["items"]
        assert [d["id"] for d in patient] == ids[1::2]
        assert (
            a.get("/api/v1/documents", params={"kind": "examination_result"}).json()["items"] == []
        )
        assert a.get("/api/v1/documents", params={"cursor": "garbage!"}).status_code == 422


def test_upload_size_is_bounded(api: Api, good_sig: bytes) -> None:
    small = replace_settings(api.runtime.settings, max_upload_bytes=4096)
    runtime = runtime_for(api.backend, small)
    with runtime.verifier, serve(small, runtime) as url:
        client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {api.tokens['a']}"})
        with client:
            response = submit(client, good_sig)
            assert response.status_code == 413
            assert response.json()["type"] == "urn:docex:problem:too-large"

            def chunks() -> Any:
                yield b'{"signed_content": "'
                for _ in range(20):
                    yield b"A" * 1000
                yield b'", "kind": "medical_document", "patient_ref": "x"}'

            streamed = client.post(
                "/api/v1/documents", content=chunks(), headers={"content-type": "application/json"}
            )
            assert streamed.status_code == 413
    assert document_count(api) == 0
