"""Accept-header negotiation (RFC 9110 §12.5.1) as the report route uses it."""

from __future__ import annotations

import pytest

from docex.api.negotiation import preferred

OFFERED = ("application/json", "application/xml", "application/pdf")


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/pdf", "application/pdf"),
        ("application/xml, application/pdf", "application/xml"),  # a tie: the route's order
        ("application/json;q=0.2, application/pdf", "application/pdf"),
        ("application/*;q=0.5, application/xml", "application/xml"),
        ("text/html, application/*;q=0.1", "application/json"),
        ("application/json;q=0, */*;q=0.1", "application/xml"),  # json refused outright
        ("APPLICATION/PDF", "application/pdf"),
        ("text/csv", None),
        ("application/json;q=0", None),
        ("application/json;q=nonsense", None),  # an unreadable weight refuses
        (",,;", "application/json"),  # no readable range: as if there were no header
    ],
)
def test_preferred(accept: str | None, chosen: str | None) -> None:
    assert preferred(accept, OFFERED) == chosen


def test_a_huge_header_is_read_only_so_far() -> None:
    accept = ", ".join(["text/csv"] * 100 + ["application/pdf"])
    assert preferred(accept, OFFERED) is None
