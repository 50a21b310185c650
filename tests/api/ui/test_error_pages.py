"""The workbench answers refusals as pages in its language, and a session is rate-limited
as its token is: an auditor's browser gets HTML, never the API's problem+json."""

from __future__ import annotations

import httpx

from docex.api.problems import PROBLEM_JSON
from docex.devpki.pki import DevPki
from docex.settings import Settings
from tests.api.conftest import replace_settings, running_api
from tests.api.submitting import submit
from tests.api.ui.signing_in import csrf_of, sign_in
from tests.conftest import Backend


def test_a_refused_revalidation_is_a_page_in_ukrainian(
    backend: Backend, api_settings: Settings, pki: DevPki, good_sig: bytes
) -> None:
    settings = replace_settings(api_settings, revalidation_max_per_document=1)
    with running_api(backend, settings, pki) as api:
        with api.client("a") as a:
            created = submit(a, good_sig)
        assert created.status_code == 201, created.text
        document_id = created.json()["id"]
        with httpx.Client(base_url=api.url) as browser:
            sign_in(browser, api, "auditor")
            page = f"/ui/documents/{document_id}"
            first = browser.post(
                f"{page}/revalidate", data={"csrf": csrf_of(browser.get(page).text)}
            )
            assert first.status_code == 303
            second = browser.post(
                f"{page}/revalidate", data={"csrf": csrf_of(browser.get(page).text)}
            )
        assert second.status_code == 409
        assert second.headers["content-type"].startswith("text/html")
        assert "<h1>Зараз це неможливо</h1>" in second.text
        assert (
            f"document {document_id} has 1 re-validations, the most this deployment "
            "keeps for one document (1)"
        ) in second.text
        assert "default-src 'self'" in second.headers["content-security-policy"]


def test_a_session_counts_against_its_tokens_rate_limit(
    backend: Backend, api_settings: Settings, pki: DevPki
) -> None:
    settings = replace_settings(api_settings, rate_limit_token="4/minute")
    with running_api(backend, settings, pki) as api:
        with httpx.Client(base_url=api.url) as browser:
            assert sign_in(browser, api, "auditor").status_code == 303
            statuses = [browser.get("/ui/audit").status_code for _ in range(6)]
            refused = browser.get("/ui/verify")
            # The API answers the same token the same way once its pages used the limit.
            with api.client("auditor") as client:
                api_answer = client.get("/api/v1/audit")
    # Sign-in itself counted once; then the pages, until the limit.
    assert statuses[:3] == [200, 200, 200]
    assert set(statuses[3:]) == {429}
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/html")
    assert "<h1>Забагато запитів</h1>" in refused.text
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert f"Спробуйте знову через {retry_after} с." in refused.text  # noqa: RUF001
    assert api_answer.status_code == 429
    assert api_answer.headers["content-type"] == PROBLEM_JSON
