"""A recipient reads what it was sent: the signature file and the signed payload.

Over real HTTP: the detached CAdES referral's recipient downloads ``…/content`` and
``…/payload`` and verifies them again on its own; an attached CMS (sealed or not) and a
PAdES PDF give exactly the content the signatures are over.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from docex.cli.main import app
from docex.db.audit import AuditEntry
from docex.db.engine import unit_of_work
from docex.devpki.pdf import minimal_pdf
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades, sign_pades
from docex.domain import Outcome
from docex.signatures.report import Indication
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier
from tests import signed_content
from tests.api.conftest import FACILITY_A, FACILITY_B, REPO, Api
from tests.api.parties import Parties
from tests.api.submitting import submit
from tests.signed_content import PATIENT


@pytest.fixture
def parties(api: Api, pki: DevPki) -> Iterator[Parties]:
    seated = Parties(api, pki)
    yield seated
    seated.close()


def _etag(data: bytes) -> str:
    return f'"{hashlib.sha256(data).hexdigest()}"'


def _read_entries(api: Api, action: str) -> list[AuditEntry]:
    with unit_of_work(api.backend.sessions) as session:
        rows = list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )
        session.expunge_all()
    return rows


def _inbox_status(client: httpx.Client, document_id: str) -> str:
    items = client.get("/api/v1/inbox").json()["items"]
    (status,) = [i["status"] for i in items if i["document"]["id"] == document_id]
    return str(status)


def _submit_referral_to_b(parties: Parties) -> tuple[dict[str, Any], bytes, bytes]:
    """A detached referral from A to B: its response, signature and signed content."""
    content = signed_content.referral(parties.pki, performer=FACILITY_B)
    signed = sign_cades(parties.pki, content, signer="doctor-ecdsa", level="B-LT")
    response = submit(parties.a, signed, content, recipient_edrpou=FACILITY_B)
    assert response.status_code == 201, response.text
    doc: dict[str, Any] = response.json()
    return doc, signed, content


def test_the_recipient_verifies_a_detached_referral_from_what_the_api_serves(
    api: Api, parties: Parties, tmp_path: Path
) -> None:
    doc, signed, service_request = _submit_referral_to_b(parties)
    doc_id = doc["id"]
    assert (doc["submitted_by_edrpou"], doc["recipient_edrpou"]) == (FACILITY_A, FACILITY_B)
    (delivered,) = parties.b.get("/api/v1/inbox").json()["items"]
    listed = parties.b.get("/api/v1/documents").json()["items"]
    for shown in (delivered["document"], *listed):
        assert (shown["submitted_by_edrpou"], shown["recipient_edrpou"]) == (FACILITY_A, FACILITY_B)
    # No internal ids of facilities anywhere a client looks.
    assert not [k for k in (*delivered, *delivered["document"]) if k.endswith("facility_id")]

    content = parties.b.get(f"/api/v1/documents/{doc_id}/content")
    payload = parties.b.get(f"/api/v1/documents/{doc_id}/payload")

    assert content.status_code == payload.status_code == 200
    assert content.content == signed
    assert content.headers["etag"] == _etag(signed) == f'"{doc["sha256"]}"'
    assert content.headers["content-type"] == "application/pkcs7-signature"
    assert content.headers["content-disposition"] == f'attachment; filename="{doc_id}.p7s"'
    assert payload.content == service_request
    assert payload.headers["etag"] == _etag(service_request)
    assert payload.headers["etag"] == f'"{doc["detached_content_sha256"]}"'
    assert payload.headers["content-length"] == str(len(service_request))
    assert payload.headers["content-type"] == "application/fhir+json"
    assert payload.headers["content-disposition"] == f'attachment; filename="{doc_id}.json"'
    assert payload.headers["cache-control"] == "private, no-cache"

    # What the API gave the recipient is all it needs to verify the signature itself.
    with Verifier(load_trust_store([REPO / "certs-dev" / "trust"])) as verifier:
        report = verifier.verify(content.content, content=payload.content)
        tampered = verifier.verify(content.content, content=payload.content + b" ")
    accepted = parties.b.get(f"/api/v1/documents/{doc_id}").json()["validation_report"]
    assert report.indication is Indication.TOTAL_PASSED
    assert (report.indication.value, report.qualification.value) == (
        accepted["indication"],
        accepted["qualification"],
    )
    assert report.document.detached
    assert tampered.indication is Indication.TOTAL_FAILED
    assert str(tampered.sub_indication) == "HASH_FAILURE"

    # And so can a person at the command line, with the two downloads as files.
    (tmp_path / "referral.p7s").write_bytes(content.content)
    (tmp_path / "referral.json").write_bytes(payload.content)
    trust = str(REPO / "certs-dev" / "trust")
    files = ["--content", str(tmp_path / "referral.json"), str(tmp_path / "referral.p7s")]
    cli = CliRunner().invoke(app, ["verify", "--trust", trust, "--format", "json", *files])
    assert cli.exit_code == 0, cli.output
    verdict = json.loads(cli.stdout)
    assert (verdict["indication"], verdict["qualification"]) == ("TOTAL_PASSED", "QESig")
    assert verdict["document"] == {
        "kind": "cades",
        "sha256": doc["sha256"],
        "size": len(signed),
        "detached": True,
    }


def test_head_and_if_none_match_describe_without_sending_or_fetching(
    api: Api, parties: Parties
) -> None:
    doc, signed, service_request = _submit_referral_to_b(parties)
    doc_id = doc["id"]
    for path, served in (("content", signed), ("payload", service_request)):
        head = parties.b.head(f"/api/v1/documents/{doc_id}/{path}")
        assert head.status_code == 200, head.text
        assert head.content == b""
        assert head.headers["etag"] == _etag(served)
        assert head.headers["content-length"] == str(len(served))
    # A HEAD downloads nothing, so the delivery is still waiting.
    assert _inbox_status(parties.b, doc_id) == "pending"

    payload = parties.b.get(f"/api/v1/documents/{doc_id}/payload")
    assert payload.status_code == 200
    # The payload is the document a person reads: fetching it counts as receiving it.
    assert _inbox_status(parties.b, doc_id) == "fetched"

    etag = _etag(service_request)
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = parties.b.get(
            f"/api/v1/documents/{doc_id}/payload", headers={"If-None-Match": header}
        )
        assert again.status_code == 304, header
        assert again.content == b""
        assert again.headers["etag"] == etag
    changed = parties.b.get(
        f"/api/v1/documents/{doc_id}/payload", headers={"If-None-Match": _etag(signed)}
    )
    assert changed.status_code == 200
    assert changed.content == service_request

    reads = [(e.actor_token_id, e.details) for e in _read_entries(api, "document.read_payload")]
    b_token = reads[0][0]
    assert reads[0] == (b_token, {"kind": "referral", "patient_ref": PATIENT, "head": True})
    assert reads[1:] == [(b_token, {"kind": "referral", "patient_ref": PATIENT})] * 6


def test_a_facility_without_a_part_in_it_gets_not_found(api: Api, parties: Parties) -> None:
    doc, _, service_request = _submit_referral_to_b(parties)
    for method in ("GET", "HEAD"):
        answer = parties.c.request(method, f"/api/v1/documents/{doc['id']}/payload")
        assert answer.status_code == 404
        assert "etag" not in answer.headers
    refused = _read_entries(api, "document.read_payload")
    assert [(e.outcome, e.target_id, e.details) for e in refused] == [
        (Outcome.REFUSED, doc["id"], {"reason": "not-found"})
    ] * 2
    # The sender and an auditor read it as the recipient does.
    for client in (parties.a, parties.auditor):
        assert client.get(f"/api/v1/documents/{doc['id']}/payload").content == service_request


def test_an_attached_cms_serves_the_content_it_encapsulates(api: Api, pki: DevPki) -> None:
    attached_content = signed_content.referral(pki)
    attached = sign_cades(
        pki, attached_content, signer="doctor-ecdsa", level="B-LT", detached=False
    )
    sealed_content = signed_content.referral(pki)
    inner = sign_cades(pki, sealed_content, signer="doctor-ecdsa", level="B-LT", detached=False)
    sealed = sign_cades(pki, inner, signer="facility-seal", level="B-LT", detached=False)
    with api.client("a") as a:
        for signed, referral in ((attached, attached_content), (sealed, sealed_content)):
            doc = submit(a, signed, None).json()
            assert doc["detached_content_sha256"] is None
            payload = a.get(f"/api/v1/documents/{doc['id']}/payload")
            assert payload.status_code == 200, payload.text
            # The sealed envelope's payload is the doctor's content, not the inner CMS.
            assert payload.content == referral
            assert payload.headers["etag"] == _etag(referral)
            assert payload.headers["content-length"] == str(len(referral))
            # A FHIR resource is served as one.
            assert payload.headers["content-type"] == "application/fhir+json"
            assert payload.headers["content-disposition"] == (
                f'attachment; filename="{doc["id"]}.json"'
            )
            content = a.get(f"/api/v1/documents/{doc['id']}/content")
            assert content.content == signed


def test_a_pades_document_serves_its_pdf(api: Api, pki: DevPki) -> None:
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
            data={"kind": "medical_document"},
        )
        assert response.status_code == 201, response.text
        doc = response.json()
        payload = b.get(f"/api/v1/documents/{doc['id']}/payload")
        head = b.head(f"/api/v1/documents/{doc['id']}/content")
    assert payload.content == pdf
    assert payload.headers["etag"] == _etag(pdf) == f'"{doc["sha256"]}"'
    assert payload.headers["content-type"] == "application/pdf"
    assert payload.headers["content-disposition"] == f'attachment; filename="{doc["id"]}.pdf"'
    assert (head.headers["content-type"], head.headers["content-length"]) == (
        "application/pdf",
        str(len(pdf)),
    )
