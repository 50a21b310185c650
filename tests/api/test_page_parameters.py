"""Every listing route takes the same page parameters, from one dependency."""

from __future__ import annotations

from typing import Any

import pytest

from docex.api.app import create_app
from docex.api.pagination import CURSOR_MAX_LENGTH
from docex.settings import Settings


@pytest.fixture(scope="module")
def paths() -> dict[str, Any]:
    document: dict[str, Any] = create_app(Settings()).openapi()
    return dict(document["paths"])


@pytest.mark.parametrize(
    ("path", "default", "maximum"),
    [
        ("/api/v1/documents", 50, 200),
        ("/api/v1/inbox", 50, 200),
        ("/api/v1/webhook/events", 50, 200),
        ("/api/v1/audit", 100, 500),
        ("/api/v1/referrals", 50, 200),
        ("/api/v1/facilities", 100, 500),
    ],
)
def test_listing_publishes_cursor_and_limit(
    paths: dict[str, Any], path: str, default: int, maximum: int
) -> None:
    params = {p["name"]: p for p in paths[path]["get"]["parameters"]}
    # The page parameters come after the listing's own filters.
    assert list(params)[-2:] == ["cursor", "limit"]
    cursor, limit = params["cursor"], params["limit"]
    assert (cursor["in"], cursor["required"]) == ("query", False)
    assert {"type": "string", "maxLength": CURSOR_MAX_LENGTH} in cursor["schema"]["anyOf"]
    assert (limit["in"], limit["required"]) == ("query", False)
    assert limit["schema"]["default"] == default
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, maximum)
