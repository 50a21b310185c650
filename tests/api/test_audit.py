"""The audit trail over real HTTP: what each request leaves, and who may read it."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta, timezone
from typing import Any

from sqlalchemy import select

from docex.audit.verify import verify_chain
from docex.db.audit import AuditEntry
from docex.db.engine import unit_of_work
from docex.db.registry import ApiToken
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.domain import ActorKind, Outcome
from docex.registry.tokens import revoke_token
from tests.api.conftest import FACILITY_A, FACILITY_B, REFERRAL, Api
from tests.api.submitting import submit
from tests.signed_content import PATIENT


def entries(api: Api, action: str | None = None) -> list[AuditEntry]:
    with unit_of_work(api.backend.sessions) as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        rows = list(session.scalars(query))
        session.expunge_all()
    return rows


def token_id(api: Api, who: str) -> int:
    lookup = api.tokens[who].split("_")[1]
    with unit_of_work(api.backend.sessions) as session:
        row = session.scalar(select(ApiToken).where(ApiToken.lookup_id == lookup))
        assert row is not None
        return row.id


def chain_ok(api: Api) -> bool:
    with unit_of_work(api.backend.sessions) as session:
        return verify_chain(session).ok


def test_submission_leaves_who_what_and_outcome(api: Api, good_sig: bytes) -> None:
    with api.client("a") as a:
        doc = submit(a, good_sig).json()
    (entry,) = entries(api, "document.submit")
    assert entry.actor_kind is ActorKind.FACILITY
    assert entry.actor_facility_id == api.facility_ids[FACILITY_A]
    assert entry.actor_token_id == token_id(api, "a")
    assert entry.actor_employee_rnokpp == doc["signer_rnokpp"]
    assert (entry.target_type, entry.target_id, entry.outcome) == (
        "document",
        doc["id"],
        Outcome.OK,
    )
    assert entry.details["sha256"] == doc["sha256"]
    assert entry.details["signer_rnokpp"] == doc["signer_rnokpp"]
    assert (entry.details["indication"], entry.details["qualification"]) == (
        "TOTAL_PASSED",
        "QESig",
    )
    # The request's authentication came first, in the submission's transaction.
    uses = entries(api, "token.use")
    assert len(uses) == 1
    assert uses[0].id < entry.id
    assert uses[0].target_id == str(token_id(api, "a"))
    assert uses[0].details == {"method": "POST", "path": "/api/v1/documents"}
    assert chain_ok(api)


def test_refusals_are_recorded_with_the_problem_code(
    api: Api, pki: DevPki, good_sig: bytes
) -> None:
    other_doctor = sign_cades(pki, REFERRAL, signer="doctor2-ecdsa", level="B-LT")
    with api.client("a") as a, api.client("auditor") as auditor:
        assert submit(a, good_sig, REFERRAL + b"!").status_code == 422
        assert submit(a, other_doctor).status_code == 403
        assert submit(a, b"not a signature").status_code == 415
        assert submit(auditor, good_sig).status_code == 403
    assert entries(api, "document.submit") == []
    tampered, foreign, garbage, by_auditor = entries(api, "document.refuse")
    assert all(e.outcome is Outcome.REFUSED for e in (tampered, foreign, garbage, by_auditor))
    assert tampered.details["code"] == "signature-rejected"
    assert tampered.details["indication"] == "TOTAL_FAILED"
    assert tampered.actor_facility_id == api.facility_ids[FACILITY_A]
    assert tampered.details["kind"] == "referral"
    assert foreign.details["code"] == "signer-not-authorized"
    assert foreign.details["indication"] == "TOTAL_PASSED"
    assert foreign.actor_employee_rnokpp is not None  # who signed, though not employed here
    assert foreign.details["signer_edrpou"] == FACILITY_B
    assert garbage.details["code"] == "not-a-signature"
    assert "indication" not in garbage.details
    assert by_auditor.actor_kind is ActorKind.AUDITOR
    assert by_auditor.details["code"] == "forbidden"
    assert chain_ok(api)


def test_idempotent_replay_is_recorded_as_such(api: Api, good_sig: bytes) -> None:
    key = {"Idempotency-Key": "k-1"}
    with api.client("a") as a:
        submit(a, good_sig, headers=key)
        submit(a, good_sig, headers=key)
    first, replay = entries(api, "document.submit")
    assert first.target_id == replay.target_id
    assert "replay" not in first.details
    assert replay.details["replay"] is True


def test_reads_are_recorded(api: Api, good_sig: bytes) -> None:
    with api.client("a") as a, api.client("b") as b, api.client("auditor") as auditor:
        doc_id = submit(a, good_sig).json()["id"]
        assert auditor.get(f"/api/v1/documents/{doc_id}").status_code == 200
        assert a.get(f"/api/v1/documents/{doc_id}/content").status_code == 200
        assert b.get(f"/api/v1/documents/{doc_id}").status_code == 404
        assert a.get("/api/v1/documents", params={"patient": PATIENT}).status_code == 200
    metadata, refused = entries(api, "document.read")
    assert (metadata.actor_kind, metadata.target_id, metadata.outcome) == (
        ActorKind.AUDITOR,
        doc_id,
        Outcome.OK,
    )
    assert metadata.actor_token_id == token_id(api, "auditor")
    assert metadata.details == {"kind": "referral", "patient_ref": PATIENT}
    # Facility B was told "not found"; the log keeps that it asked.
    assert (refused.actor_facility_id, refused.target_id, refused.outcome) == (
        api.facility_ids[FACILITY_B],
        doc_id,
        Outcome.REFUSED,
    )
    (content,) = entries(api, "document.read_content")
    assert (content.actor_facility_id, content.target_id) == (api.facility_ids[FACILITY_A], doc_id)
    (listing,) = entries(api, "document.list")
    assert listing.details["patient_ref"] == PATIENT
    assert listing.details["returned"] == 1
    # One token.use per authenticated request: submit, 4 reads.
    assert len(entries(api, "token.use")) == 5
    assert chain_ok(api)


def test_token_refusals_are_recorded_without_the_secret(api: Api) -> None:
    unknown = "dxt_0123456789abcdef_" + "s" * 43
    wrong_secret = api.tokens["a"][:-4] + "AAAA"
    with unit_of_work(api.backend.sessions) as session:
        revoke_token(session, token_id=token_id(api, "b"))
    with api.client(None) as anonymous:
        for token in (unknown, wrong_secret, api.tokens["b"], "garbage"):
            response = anonymous.get(
                "/api/v1/documents", headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 401
            assert response.json()["detail"] == "invalid or revoked API token"
        # No token at all is not a token use.
        assert anonymous.get("/api/v1/documents").status_code == 401
    # Tokens that exist are refused one entry each; the unknown and the malformed one are
    # only counted until their window ends (see tests/api/test_rate_limits.py).
    refusals = entries(api, "token.refused")
    assert [e.details["reason"] for e in refusals] == ["wrong-secret", "revoked"]
    assert all(e.actor_kind is ActorKind.ANONYMOUS for e in refusals)
    assert all(e.outcome is Outcome.REFUSED for e in refusals)
    assert [e.details["lookup_id"] for e in refusals] == [
        api.tokens["a"].split("_")[1],
        api.tokens["b"].split("_")[1],
    ]
    assert [e.target_id for e in refusals] == [
        str(token_id(api, "a")),
        str(token_id(api, "b")),
    ]
    assert entries(api, "token.refused.aggregate") == []
    assert entries(api, "token.use") == []
    logged = json.dumps([e.details for e in entries(api)])
    for token in (unknown, wrong_secret, api.tokens["b"]):
        assert token.split("_", 2)[2] not in logged
    assert chain_ok(api)


def test_auditor_lists_filters_and_pages(api: Api, good_sig: bytes) -> None:
    with api.client("a") as a, api.client("b") as b, api.client("auditor") as auditor:
        doc_id = submit(a, good_sig).json()["id"]
        a.get(f"/api/v1/documents/{doc_id}")
        b.get(f"/api/v1/documents/{doc_id}")

        page = auditor.get("/api/v1/audit", params={"action": "document.submit"})
        assert page.status_code == 200, page.text
        (item,) = page.json()["items"]
        assert item["action"] == "document.submit"
        assert item["actor_kind"] == "facility"
        assert item["actor_facility_edrpou"] == FACILITY_A
        assert "actor_facility_id" not in item
        assert item["target_id"] == doc_id
        assert len(item["hash"]) == len(item["prev_hash"]) == 64

        about = auditor.get("/api/v1/audit", params={"target_id": doc_id}).json()["items"]
        assert [(e["action"], e["outcome"]) for e in about] == [
            ("document.submit", "ok"),
            ("document.read", "ok"),
            ("document.read", "refused"),
        ]
        by_b = auditor.get("/api/v1/audit", params={"actor_facility": FACILITY_B}).json()["items"]
        assert [e["action"] for e in by_b] == ["token.use", "document.read"]
        assert {e["actor_facility_edrpou"] for e in by_b} == {FACILITY_B}
        # An EDRPOU nobody registered matches nothing; an internal id is not an EDRPOU.
        nobody = auditor.get("/api/v1/audit", params={"actor_facility": "99999999"})
        assert (nobody.status_code, nobody.json()["items"]) == (200, [])
        by_id = auditor.get(
            "/api/v1/audit", params={"actor_facility": api.facility_ids[FACILITY_B]}
        )
        assert by_id.status_code == 422
        family = auditor.get("/api/v1/audit", params={"action": "document.*"}).json()["items"]
        assert {e["action"] for e in family} == {"document.submit", "document.read"}
        refused = auditor.get("/api/v1/audit", params={"outcome": "refused"}).json()["items"]
        assert [e["action"] for e in refused] == ["document.read"]

        # Every page read is itself recorded, so a walk over the live log bounds it by
        # time (or it would never reach the end).
        stored = entries(api)
        until = (stored[-1].created_at + timedelta(microseconds=1)).isoformat()
        everything = _all_pages(auditor, {"limit": 2, "until": until})
        assert [e["id"] for e in everything] == [e.id for e in stored]
        # Each entry links to the one before it in its own chain.
        for chain in {e["chain"] for e in everything}:
            linked = [e for e in everything if e["chain"] == chain]
            for before, after in itertools.pairwise(linked):
                assert after["prev_hash"] == before["hash"]

        moment = about[1]["created_at"]
        since = auditor.get("/api/v1/audit", params={"since": moment, "target_id": doc_id})
        assert [e["id"] for e in since.json()["items"]] == [e["id"] for e in about[1:]]
        earlier = auditor.get("/api/v1/audit", params={"until": moment, "target_id": doc_id})
        assert [e["id"] for e in earlier.json()["items"]] == [about[0]["id"]]
        assert auditor.get("/api/v1/audit", params={"cursor": "x"}).status_code == 422
        assert auditor.get("/api/v1/audit", params={"outcome": "maybe"}).status_code == 422
    assert chain_ok(api)


def _all_pages(client: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = client.get(
            "/api/v1/audit", params={**params, "cursor": cursor} if cursor else params
        )
        assert page.status_code == 200
        seen += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return seen


def test_facilities_may_not_read_the_audit_log(api: Api) -> None:
    with api.client("a") as a:
        response = a.get("/api/v1/audit", params={"action": "token.use"})
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:docex:problem:forbidden"
    (attempt,) = entries(api, "audit.read")
    assert attempt.outcome is Outcome.REFUSED
    assert attempt.actor_facility_id == api.facility_ids[FACILITY_A]
    assert attempt.details["filters"] == {"action": "token.use"}


def test_auditor_reads_of_the_log_are_recorded(api: Api) -> None:
    with api.client("auditor") as auditor:
        first = auditor.get("/api/v1/audit", params={"action": "audit.read"}).json()["items"]
        second = auditor.get("/api/v1/audit", params={"action": "audit.read"}).json()["items"]
    # Each read is recorded after it is made, so it shows in the next one.
    assert first == []
    (read,) = second
    assert read["actor_kind"] == "auditor"
    assert read["actor_token_id"] == token_id(api, "auditor")
    assert read["details"] == {"filters": {"action": "audit.read"}, "cursor": None, "returned": 0}
    assert len(entries(api, "audit.read")) == 2


def test_time_filters_take_offsets(api: Api) -> None:
    with api.client("auditor") as auditor:
        auditor.get("/api/v1/audit")
        (entry,) = entries(api, "audit.read")
        kyiv = entry.created_at.astimezone(timezone(timedelta(hours=2)))
        items = auditor.get(
            "/api/v1/audit", params={"action": "audit.read", "since": kyiv.isoformat()}
        ).json()["items"]
    assert [e["id"] for e in items] == [entry.id]
