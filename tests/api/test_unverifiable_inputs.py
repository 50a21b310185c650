"""Inputs the verifier cannot fully evaluate still get a verdict over HTTP, never a 500."""

from __future__ import annotations

from pathlib import Path

import pytest

from docex.devpki.pki import DevPki
from tests.api.conftest import Api
from tests.api.submitting import document_count, submit
from tests.signatures.timestamp_only import make_timestamp_only_pdf

DSS = Path(__file__).resolve().parents[1] / "data" / "dss"


@pytest.mark.parametrize(
    ("case", "indication", "sub_indication"),
    [
        # pyHanko cannot follow this PDF's cross-references (/Prev 0).
        ("unreadable-signed-pdf", "TOTAL_FAILED", "FORMAT_FAILURE"),
        ("two-signer-infos", "INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND"),
        ("timestamp-only", "INDETERMINATE", "SIGNED_DATA_NOT_FOUND"),
    ],
)
def test_unusual_pdfs_are_refused_with_a_report(
    api: Api, pki: DevPki, case: str, indication: str, sub_indication: str
) -> None:
    if case == "unreadable-signed-pdf":
        signed = (DSS / "validation__pades-5-signatures-and-1-document-timestamp.pdf").read_bytes()
    elif case == "two-signer-infos":
        signed = (DSS / "validation__pdf-double-signer-info.pdf").read_bytes()
    else:
        signed = make_timestamp_only_pdf(pki)
    with api.client("a") as a:
        response = submit(a, signed, None, kind="medical_document")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"] == "urn:docex:problem:signature-rejected"
    report = body["validation_report"]
    assert (report["indication"], report["sub_indication"]) == (indication, sub_indication)
    assert document_count(api) == 0
