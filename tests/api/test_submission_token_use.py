"""A submission's ``token.use`` entry: recorded once, in the submission's own transaction.

The token check of ``POST /api/v1/documents`` records nothing itself; the submission's
transaction (the accepted document's, the refusal's, the replay's) records the use first,
and a request that fails before any of them commits still leaves exactly one entry.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from docex.db.audit import AuditEntry
from docex.db.engine import unit_of_work
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from tests.api.conftest import REFERRAL, Api
from tests.api.submitting import document_count, submit

_POST = {"method": "POST", "path": "/api/v1/documents"}


def _entries(api: Api) -> list[AuditEntry]:
    with unit_of_work(api.backend.sessions) as session:
        rows = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        session.expunge_all()
    return rows


def _transactions(api: Api, entries: list[AuditEntry]) -> set[str]:
    """The PostgreSQL transactions that wrote ``entries`` (their rows' ``xmin``)."""
    with unit_of_work(api.backend.sessions) as session:
        found = session.execute(
            text("SELECT DISTINCT xmin::text FROM audit_entries WHERE id = ANY(:ids)"),
            {"ids": [e.id for e in entries]},
        )
        return {row[0] for row in found}


def _is_postgres(api: Api) -> bool:
    return api.backend.engine.dialect.name == "postgresql"


def test_an_accepted_submission_commits_its_token_use_with_the_document(
    api: Api, good_sig: bytes
) -> None:
    with api.client("a") as a:
        response = submit(a, good_sig)
    assert response.status_code == 201, response.text
    entries = _entries(api)
    uses = [e for e in entries if e.action == "token.use"]
    (submitted,) = [e for e in entries if e.action == "document.submit"]
    assert len(uses) == 1
    assert uses[0].details == _POST
    assert uses[0].target_id == str(submitted.actor_token_id)
    # Recorded first, so the chain reads authentication, then what the request did.
    assert uses[0].id < submitted.id
    assert uses[0].created_at <= submitted.created_at
    if _is_postgres(api):
        # Every entry of the request, the use included, in one transaction.
        assert len(_transactions(api, entries)) == 1


def test_a_refused_signer_commits_the_use_with_the_refusal(api: Api, pki: DevPki) -> None:
    other_doctor = sign_cades(pki, REFERRAL, signer="doctor2-ecdsa", level="B-LT")
    with api.client("a") as a:
        response = submit(a, other_doctor)
    assert response.status_code == 403, response.text
    assert response.json()["type"] == "urn:docex:problem:signer-not-authorized"
    entries = _entries(api)
    assert [e.action for e in entries] == ["token.use", "document.refuse"]
    assert entries[0].details == _POST
    assert entries[1].details["code"] == "signer-not-authorized"
    if _is_postgres(api):
        assert len(_transactions(api, entries)) == 1


def test_a_replay_records_one_use(api: Api, good_sig: bytes) -> None:
    headers = {"Idempotency-Key": "replayed-once"}
    with api.client("a") as a:
        assert submit(a, good_sig, headers=headers).status_code == 201
        replay = submit(a, good_sig, headers=headers)
    assert replay.status_code == 200, replay.text
    assert replay.headers["idempotent-replayed"] == "true"
    actions = [e.action for e in _entries(api) if e.action in ("token.use", "document.submit")]
    assert actions == ["token.use", "document.submit", "token.use", "document.submit"]


def test_a_body_refused_before_the_service_still_records_the_use(api: Api) -> None:
    with api.client("a") as a:
        # No 'file' part: refused while the form is read, before any transaction of the
        # submission; the use is recorded after the route, on its own.
        response = a.post("/api/v1/documents", files={"content": ("c.json", REFERRAL)})
    assert response.status_code == 422, response.text
    assert "'file' part" in response.json()["detail"]
    entries = _entries(api)
    assert [(e.action, e.details) for e in entries] == [("token.use", _POST)]


def test_an_invalid_header_still_records_the_use(api: Api, good_sig: bytes) -> None:
    with api.client("a") as a:
        # Longer than the header's 200 characters: refused after the token check, before
        # the route runs at all.
        response = submit(a, good_sig, headers={"Idempotency-Key": "k" * 201})
    assert response.status_code == 422, response.text
    assert [e.action for e in _entries(api)] == ["token.use"]
    assert document_count(api) == 0


@pytest.mark.parametrize("backend_name", ["postgres-s3"], indirect=True)
def test_a_store_failure_still_records_the_use(api: Api, good_sig: bytes) -> None:
    assert api.backend.servers.s3 is not None
    with api.backend.servers.s3.stopped(), api.client("a") as a:
        response = submit(a, good_sig)
    assert response.status_code == 503, response.text
    assert response.json()["type"] == "urn:docex:problem:storage-unavailable"
    # Not a refusal (nothing about the document is recorded), but the token was used.
    assert [(e.action, e.details) for e in _entries(api)] == [("token.use", _POST)]
