"""The API names the acceptance policy that decided, beside the neutral validation report."""

from __future__ import annotations

from typing import Any

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from tests.api.conftest import REFERRAL, Api
from tests.api.submitting import submit


def _entries(api: Api, action: str) -> list[dict[str, Any]]:
    with api.client("auditor") as auditor:
        page = auditor.get("/api/v1/audit", params={"action": action, "limit": 50})
    assert page.status_code == 200, page.text
    items: list[dict[str, Any]] = page.json()["items"]
    return items


def test_submission_names_the_policy_that_accepted_it(api: Api, good_sig: bytes) -> None:
    with api.client("a") as a:
        created = submit(a, good_sig)
    assert created.status_code == 201, created.text
    assert created.json()["acceptance"] == {
        "policy": "docex-gate-2026",
        "accepted": True,
        "reasons": [],
    }
    (entry,) = _entries(api, "document.submit")
    assert entry["details"]["policy"] == "docex-gate-2026"


def test_a_refusal_names_the_policy_and_its_reason(api: Api, pki: DevPki) -> None:
    sealed = sign_cades(pki, REFERRAL, signer="facility-seal", level="B-LT")
    with api.client("a") as a:
        refused = submit(a, sealed)
    assert refused.status_code == 422
    body = refused.json()
    assert body["detail"] == (
        "refused under policy docex-gate-2026: S1: a referral must carry a QESig, not a QESeal"
    )
    # The report itself stays the neutral verdict: the seal is valid and qualified.
    assert (
        body["validation_report"]["indication"],
        body["validation_report"]["qualification"],
    ) == (
        "TOTAL_PASSED",
        "QESeal",
    )


def test_revalidation_says_what_the_policy_makes_of_the_new_report(
    api: Api, good_sig: bytes
) -> None:
    with api.client("a") as a:
        doc = submit(a, good_sig).json()
    with api.client("auditor") as auditor:
        now = auditor.post(f"/api/v1/documents/{doc['id']}/revalidate")
        before = auditor.post(
            f"/api/v1/documents/{doc['id']}/revalidate", json={"at": "2020-01-01T00:00:00Z"}
        )
    assert now.status_code == 201, now.text
    assert now.json()["acceptance"] == {
        "policy": "docex-gate-2026",
        "accepted": True,
        "reasons": [],
    }
    assert before.json()["indication"] == "INDETERMINATE"
    assert before.json()["report"]["sub_indication"] == "NO_POE"
    acceptance = before.json()["acceptance"]
    assert acceptance["accepted"] is False
    assert acceptance["reasons"][0].startswith("the signature is not valid (INDETERMINATE/NO_POE)")
    details = [e["details"] for e in _entries(api, "document.revalidate")]
    assert [(d["policy"], d["accepted_by_policy"]) for d in details] == [
        ("docex-gate-2026", True),
        ("docex-gate-2026", False),
    ]
