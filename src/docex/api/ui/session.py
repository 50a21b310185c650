"""The web session: a signed cookie holding the token's id and a CSRF secret.

Signing in exchanges an API token for this cookie. The cookie never holds the token: it
holds the token's database id (``tid``), which is useless without the server's signing
key, and each page checks that the token is still good
(:func:`docex.services.ui_sessions.resume_session`). The cookie is re-signed on every
page, so ``max_age`` is an idle timeout. Before sign-in the cookie exists too, with no
``tid``: it carries the CSRF secret the sign-in form is checked against.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "docex_session"
IDLE_SECONDS = 30 * 60
"""A session unused for this long is over; the next page asks to sign in again."""


@dataclass(frozen=True, slots=True)
class WebSession:
    """What the cookie says: the signed-in token's id, if any, and the CSRF secret."""

    csrf: str
    token_id: int | None = None

    def signed_in(self, token_id: int) -> WebSession:
        """The session after signing in; a new CSRF secret, so a pre-sign-in one (which an
        attacker could have planted) is worthless afterwards."""
        return replace(self, token_id=token_id, csrf=secrets.token_urlsafe(32))


def new_session() -> WebSession:
    """An anonymous session with a fresh CSRF secret."""
    return WebSession(csrf=secrets.token_urlsafe(32))


class SessionCodec:
    """Signs and reads session cookies with a key derived from the token pepper."""

    def __init__(self, pepper: bytes, *, idle_seconds: int = IDLE_SECONDS) -> None:
        # A key of its own, so that a cookie signature never doubles as a token hash.
        key = hmac.new(pepper, b"docex web session v1", hashlib.sha256).digest()
        self._serializer = URLSafeTimedSerializer(key, salt="docex-ui")
        self.idle_seconds = idle_seconds

    def encode(self, session: WebSession) -> str:
        """The cookie's value for ``session``, signed and timestamped."""
        return self._serializer.dumps({"c": session.csrf, "t": session.token_id})

    def read(self, request: Request) -> WebSession | None:
        """The request's session, or None if it has none, a forged one or an expired one."""
        raw = request.cookies.get(COOKIE)
        return None if raw is None else self.decode(raw)

    def decode(self, raw: str) -> WebSession | None:
        """The session a cookie value holds; None if forged, expired or malformed."""
        try:
            data: Any = self._serializer.loads(raw, max_age=self.idle_seconds)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        tid = data.get("t")
        return WebSession(csrf=data["c"], token_id=tid if isinstance(tid, int) else None)

    def write(self, response: Response, session: WebSession, *, request: Request) -> None:
        """Set the cookie: HttpOnly, SameSite=Strict, and Secure when served over TLS."""
        response.set_cookie(
            COOKIE,
            self.encode(session),
            max_age=self.idle_seconds,
            path="/ui",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    @staticmethod
    def clear(response: Response) -> None:
        """Remove the cookie (sign-out)."""
        response.delete_cookie(COOKIE, path="/ui", httponly=True, samesite="strict")


def csrf_matches(session: WebSession | None, presented: str | None) -> bool:
    """Whether a form's CSRF field is this session's secret (constant-time)."""
    if session is None or not presented:
        return False
    return hmac.compare_digest(session.csrf.encode(), presented.encode())
