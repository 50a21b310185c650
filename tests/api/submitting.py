"""Submitting documents over the API, and what a submission left in the database and store."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from sqlalchemy import func, select

from docex.db.documents import Document
from docex.db.engine import unit_of_work
from tests.api.conftest import REFERRAL, Api


def submit(
    client: httpx.Client,
    signed: bytes,
    content: bytes | None = REFERRAL,
    *,
    kind: str = "referral",
    headers: dict[str, str] | None = None,
    claims: Mapping[str, str] | None = None,
    **fields: str,
) -> httpx.Response:
    """POST ``signed`` (with its detached ``content``) as a multipart submission.

    ``claims`` and ``fields`` are sent as form fields: the ones that repeat the signed
    content, or anything a test wants refused.
    """
    files: dict[str, Any] = {"file": ("doc.p7s", signed)}
    if content is not None:
        files["content"] = ("doc.json", content)
    data = {"kind": kind, **(claims or {}), **fields}
    return client.post("/api/v1/documents", files=files, data=data, headers=headers or {})


def document_count(api: Api) -> int:
    """How many documents the API's database holds."""
    with unit_of_work(api.backend.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(Document)) or 0)


def stored_keys(api: Api) -> list[str]:
    """Every key in the API's object store."""
    return list(api.backend.store.iter_keys(""))
