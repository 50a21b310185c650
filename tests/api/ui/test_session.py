"""The web session over HTTP: what the cookie holds, its flags, expiry and revocation."""

from __future__ import annotations

import time

import httpx

from docex.api.ui.session import COOKIE, SessionCodec, new_session
from docex.db.engine import unit_of_work
from docex.registry.tokens import revoke_token
from tests.api.conftest import Api
from tests.api.ui.signing_in import codec_of, sign_in


def test_the_cookie_holds_the_token_id_not_the_token(api: Api) -> None:
    with httpx.Client(base_url=api.url) as client:
        answer = sign_in(client, api, "auditor")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/ui/verify"
        cookie = answer.headers["set-cookie"]
        assert api.tokens["auditor"] not in cookie
        assert api.tokens["auditor"].split("_")[1] not in cookie  # not even the lookup id
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert "Path=/ui" in cookie
        assert "Secure" not in cookie  # plain HTTP here; see the TLS test
        verify = client.get("/ui/verify")
        assert verify.status_code == 200
        assert "frame-ancestors 'none'" in verify.headers["content-security-policy"]


def test_behind_tls_the_cookie_is_secure(api: Api) -> None:
    # uvicorn trusts X-Forwarded-Proto from 127.0.0.1, as from a TLS-terminating proxy.
    with httpx.Client(base_url=api.url, headers={"X-Forwarded-Proto": "https"}) as client:
        # The session starts at the sign-in form; a client on plain HTTP (as this one
        # really is) would not send a Secure cookie back, so the form is as far as it gets.
        form = client.get("/ui/sign-in")
        assert form.status_code == 200
        assert "Secure" in form.headers["set-cookie"]
        assert "HttpOnly" in form.headers["set-cookie"]


def test_sign_in_needs_the_forms_csrf_token(api: Api) -> None:
    with httpx.Client(base_url=api.url) as client:
        client.get("/ui/sign-in")
        refused = client.post("/ui/sign-in", data={"token": api.tokens["auditor"]})
        assert refused.status_code == 403
        assert COOKIE not in refused.headers.get("set-cookie", "")


def test_revoking_the_token_ends_its_web_sessions(api: Api) -> None:
    with httpx.Client(base_url=api.url) as client:
        sign_in(client, api, "auditor")
        assert client.get("/ui/audit").status_code == 200
        session = codec_of(api).decode(client.cookies[COOKIE])
        assert session is not None
        assert session.token_id is not None
        with unit_of_work(api.runtime.sessions) as db:
            revoke_token(db, token_id=session.token_id)
        after = client.get("/ui/audit")
        assert after.status_code == 303
        assert after.headers["location"] == "/ui/sign-in?next=%2Fui%2Faudit"


def test_an_idle_session_expires_and_a_forged_one_is_ignored() -> None:
    codec = SessionCodec(b"pepper for this test", idle_seconds=1)
    other = SessionCodec(b"another deployment's pepper")
    session = new_session().signed_in(7)
    value = codec.encode(session)
    assert codec.decode(value) == session
    assert other.decode(value) is None
    time.sleep(2.1)
    assert codec.decode(value) is None
