"""A web session ends when the token it was opened with expires, as it ends on revocation."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import httpx
from sqlalchemy import select

from docex.api.ui.session import COOKIE
from docex.db.audit import AuditEntry
from docex.db.engine import unit_of_work
from docex.registry.tokens import rotate_token
from tests.api.conftest import Api
from tests.api.ui.signing_in import codec_of, sign_in


def test_an_expired_token_ends_its_web_sessions(api: Api) -> None:
    with httpx.Client(base_url=api.url) as client:
        sign_in(client, api, "auditor")
        assert client.get("/ui/audit").status_code == 200
        session = codec_of(api).decode(client.cookies[COOKIE])
        assert session is not None
        assert session.token_id is not None
        # Rotated with no overlap, the token expires at once.
        policy = dataclasses.replace(api.runtime.token_policy, rotation_overlap=timedelta(0))
        with unit_of_work(api.runtime.sessions) as db:
            rotate_token(db, policy=policy, token_id=session.token_id)
        after = client.get("/ui/audit")
        assert after.status_code == 303
        assert after.headers["location"] == "/ui/sign-in?next=%2Fui%2Faudit"
    with unit_of_work(api.runtime.sessions) as db:
        uses = list(
            db.scalars(
                select(AuditEntry.details).where(
                    AuditEntry.action == "token.use",
                    AuditEntry.target_id == str(session.token_id),
                )
            )
        )
    # The page after expiry was not recorded as a use of the token.
    assert [use.get("path") for use in uses].count("/ui/audit") == 1
