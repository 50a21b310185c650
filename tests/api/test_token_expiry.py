"""An expired API token over real HTTP: refused like a revoked one (401, the same problem
type), recorded as ``token.refused`` with reason ``expired``; its rotated successor works."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import select

from docex.db.audit import AuditEntry
from docex.db.engine import unit_of_work
from docex.db.registry import ApiToken
from docex.domain import Outcome
from docex.registry.tokens import revoke_token, rotate_token
from tests.api.conftest import Api


def test_an_expired_token_is_refused_and_its_successor_accepted(api: Api) -> None:
    lookup = api.tokens["a"].split("_")[1]
    # No overlap: the rotated token expires at the moment it is rotated.
    policy = dataclasses.replace(api.runtime.token_policy, rotation_overlap=timedelta(0))
    with unit_of_work(api.backend.sessions) as session:
        old_id = session.scalars(select(ApiToken.id).where(ApiToken.lookup_id == lookup)).one()
        successor, _ = rotate_token(session, policy=policy, token_id=old_id)
    with api.client("a") as expired:
        refused = expired.get("/api/v1/documents")
    with api.client("b") as revoked_like:
        with unit_of_work(api.backend.sessions) as session:
            other = session.scalars(
                select(ApiToken.id).where(ApiToken.lookup_id == api.tokens["b"].split("_")[1])
            ).one()
            revoke_token(session, token_id=other)
        revoked = revoked_like.get("/api/v1/documents")
    assert (refused.status_code, revoked.status_code) == (401, 401)
    # One problem for every reason: the response does not tell expired from revoked.
    assert refused.json() == revoked.json()
    assert refused.headers["content-type"].startswith("application/problem+json")

    with unit_of_work(api.backend.sessions) as session:
        refusals = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "token.refused")
                .order_by(AuditEntry.id)
            )
        )
        session.expunge_all()
    assert [(e.target_id, e.outcome, e.details["reason"]) for e in refusals] == [
        (str(old_id), Outcome.REFUSED, "expired"),
        (str(other), Outcome.REFUSED, "revoked"),
    ]

    headers = {"Authorization": f"Bearer {successor.token}"}
    with api.client(None) as anonymous:
        assert anonymous.get("/api/v1/documents", headers=headers).status_code == 200
