"""Signing in to the workbench over plain HTTP, as a browser's form would, for the session
tests."""

from __future__ import annotations

import re

import httpx

from docex.api.ui.session import SessionCodec
from tests.api.conftest import Api


def csrf_of(html: str) -> str:
    """The CSRF token of the page's form."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


def sign_in(client: httpx.Client, api: Api, who: str) -> httpx.Response:
    """Sign in as a browser would: the form's CSRF token, then the API token."""
    form = client.get("/ui/sign-in")
    return client.post("/ui/sign-in", data={"csrf": csrf_of(form.text), "token": api.tokens[who]})


def codec_of(api: Api) -> SessionCodec:
    """The session cookie codec of the running ``api``, keyed as the server keys it."""
    return SessionCodec(api.runtime.settings.token_pepper.get_secret_value().encode())
