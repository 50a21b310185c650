"""A referral signed by a doctor and sealed by the facility, submitted over real HTTP."""

from __future__ import annotations

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.signatures.identity import signer_identity
from tests.api.conftest import FACILITY_A, FACILITY_B, REFERRAL, Api
from tests.api.submitting import submit


def _sealed_referral(pki: DevPki, doctor: str) -> bytes:
    inner = sign_cades(pki, REFERRAL, signer=doctor, level="B-LT", detached=False)
    return sign_cades(pki, inner, signer="facility-seal", level="B-LT", detached=False)


def test_a_sealed_referral_is_accepted_and_its_author_recorded(api: Api, pki: DevPki) -> None:
    with api.client("a") as a:
        response = submit(a, _sealed_referral(pki, "doctor-ecdsa"), None)
        assert response.status_code == 201, response.text
        doc = response.json()
        full = a.get(f"/api/v1/documents/{doc['id']}").json()
    assert doc["acceptance"] == {"policy": "docex-gate-2026", "accepted": True, "reasons": []}
    # The document's signer is the doctor who wrote it, not the facility that sealed it.
    assert doc["signer_rnokpp"] == signer_identity(pki.cert("doctor-ecdsa")).rnokpp
    signatures = full["validation_report"]["signatures"]
    assert [(s["id"], s["layer"], s["qualification"]) for s in signatures] == [
        ("S1", 0, "QESig"),
        ("L1.S1", 1, "QESeal"),
    ]
    assert signatures[1]["signer"]["edrpou"] == FACILITY_A


def test_the_author_must_work_at_the_sealing_facility(api: Api, pki: DevPki) -> None:
    # doctor2 works at facility B; facility A's seal does not make them A's employee.
    stranger = signer_identity(pki.cert("doctor2-ecdsa")).rnokpp
    with api.client("a") as a:
        refused = submit(a, _sealed_referral(pki, "doctor2-ecdsa"), None)
    assert refused.status_code == 403, refused.text
    body = refused.json()
    assert body["type"] == "urn:docex:problem:signer-not-authorized"
    assert body["detail"] == (
        f"S1: the signer (RNOKPP {stranger}) is not an active employee of this facility"
    )


def test_another_facility_may_not_submit_a_sealed_referral(api: Api, pki: DevPki) -> None:
    with api.client("b") as b:
        refused = submit(b, _sealed_referral(pki, "doctor2-ecdsa"), None)
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == (
        f"L1.S1: the seal belongs to EDRPOU {FACILITY_A}, not to this facility ({FACILITY_B})"
    )
