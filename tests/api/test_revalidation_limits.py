"""Re-validations are bounded: auditors only by default, a cap per document, a rate per
token. Each one is kept forever and costs a verification."""

from __future__ import annotations

import httpx

from docex.api.problems import PROBLEM_JSON
from docex.devpki.pki import DevPki
from docex.settings import Settings
from tests.api.conftest import Api, replace_settings, running_api
from tests.api.submitting import submit
from tests.conftest import Backend


def _document(api: Api, good_sig: bytes) -> str:
    with api.client("a") as a:
        created = submit(a, good_sig)
    assert created.status_code == 201, created.text
    document_id: str = created.json()["id"]
    return document_id


def _problem(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"] == f"urn:docex:problem:{code}"
    detail: str = response.json()["detail"]
    return detail


def test_only_auditors_revalidate_and_a_document_keeps_at_most_the_cap(
    backend: Backend, api_settings: Settings, pki: DevPki, good_sig: bytes
) -> None:
    settings = replace_settings(api_settings, revalidation_max_per_document=2)
    with running_api(backend, settings, pki) as api:
        document_id = _document(api, good_sig)
        path = f"/api/v1/documents/{document_id}/revalidate"
        with api.client("a") as submitter:
            detail = _problem(submitter.post(path), 403, "forbidden")
            assert detail == "only auditors may re-validate documents"
        with api.client("auditor") as auditor:
            assert auditor.post(path).status_code == 201
            assert auditor.post(path).status_code == 201
            detail = _problem(auditor.post(path), 409, "revalidation-limit")
            assert detail == (
                f"document {document_id} has 2 re-validations, the most this deployment "
                "keeps for one document (2)"
            )
            report = auditor.get(f"/api/v1/documents/{document_id}/report")
            assert report.status_code == 200, report.text
            assert len(report.json()["revalidations"]) == 2
            audited = auditor.get("/api/v1/audit", params={"action": "document.revalidate"})
            assert len(audited.json()["items"]) == 2


def test_the_parties_may_revalidate_when_the_deployment_lets_them(
    backend: Backend, api_settings: Settings, pki: DevPki, good_sig: bytes
) -> None:
    settings = replace_settings(api_settings, revalidation_by_parties=True)
    with running_api(backend, settings, pki) as api:
        document_id = _document(api, good_sig)
        path = f"/api/v1/documents/{document_id}/revalidate"
        with api.client("a") as submitter:
            created = submitter.post(path)
            assert created.status_code == 201, created.text
            assert created.json()["indication"] == "TOTAL_PASSED"
        # A facility the document does not involve still cannot see it.
        with api.client("b") as stranger:
            _problem(stranger.post(path), 404, "not-found")


def test_revalidations_are_rate_limited_per_token(
    backend: Backend, api_settings: Settings, pki: DevPki, good_sig: bytes
) -> None:
    settings = replace_settings(api_settings, rate_limit_revalidations="2/minute")
    with running_api(backend, settings, pki) as api:
        first = _document(api, good_sig)
        with api.client("auditor") as auditor:
            assert auditor.post(f"/api/v1/documents/{first}/revalidate").status_code == 201
            assert auditor.post(f"/api/v1/documents/{first}/revalidate").status_code == 201
            refused = auditor.post(f"/api/v1/documents/{first}/revalidate")
            detail = _problem(refused, 429, "rate-limited")
            retry_after = int(refused.headers["Retry-After"])
            assert 1 <= retry_after <= 60
            assert detail == f"too many requests; retry after {retry_after} s"
            # The limit is on re-validations, not on the token's other requests.
            assert auditor.get(f"/api/v1/documents/{first}/report").status_code == 200
            report = auditor.get(f"/api/v1/documents/{first}/report").json()
            assert len(report["revalidations"]) == 2
