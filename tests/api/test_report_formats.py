"""``GET …/report`` as JSON, ETSI TS 119 102-2 XML or PDF, by Accept header or ``format``."""

from __future__ import annotations

from io import BytesIO

import pytest
import xmlschema
from lxml import etree
from pypdf import PdfReader

from docex.reports import etsi_xml
from tests.api.conftest import Api
from tests.api.submitting import submit

VR = "{http://uri.etsi.org/19102/v1.2.1#}"


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema11:
    return xmlschema.XMLSchema11(str(etsi_xml.SCHEMA), locations=etsi_xml.SCHEMA_LOCATIONS)


def _main_indication(xml: bytes) -> str:
    root = etree.fromstring(xml)
    found = root.find(
        f"{VR}SignatureValidationReport/{VR}SignatureValidationStatus/{VR}MainIndication"
    )
    assert found is not None
    return str(found.text)


def test_accept_and_format_choose_the_representation(
    api: Api, good_sig: bytes, schema: xmlschema.XMLSchema11
) -> None:
    with api.client("a") as a:
        doc = submit(a, good_sig).json()
        url = f"/api/v1/documents/{doc['id']}/report"
        as_json = a.get(url)
        assert as_json.headers["content-type"] == "application/json"
        assert as_json.json()["acceptance_report"]["indication"] == "TOTAL_PASSED"

        as_xml = a.get(url, headers={"Accept": "application/xml"})
        assert as_xml.status_code == 200
        assert as_xml.headers["content-type"] == "application/xml"
        schema.validate(as_xml.content)
        assert _main_indication(as_xml.content) == "urn:etsi:019102:mainindication:total-passed"
        assert a.get(url, params={"format": "xml"}).content == as_xml.content

        as_pdf = a.get(url, headers={"Accept": "application/pdf, application/json;q=0.5"})
        assert as_pdf.headers["content-type"] == "application/pdf"
        assert as_pdf.headers["content-disposition"].startswith("attachment; filename=")
        text = "".join(page.extract_text() for page in PdfReader(BytesIO(as_pdf.content)).pages)
        assert doc["sha256"] in text
        assert "Шевченко Олена Петрівна" in text  # the development doctor, Cyrillic intact

        # The format parameter wins over Accept.
        assert a.get(url, params={"format": "json"}, headers={"Accept": "application/pdf"}).json()


def test_a_revalidation_report_is_served_by_its_id(
    api: Api, good_sig: bytes, schema: xmlschema.XMLSchema11
) -> None:
    with api.client("a") as a:
        doc = submit(a, good_sig).json()
    with api.client("auditor") as auditor:
        # As of a time before the signature existed: nothing proves it, INDETERMINATE.
        early = auditor.post(
            f"/api/v1/documents/{doc['id']}/revalidate", json={"at": "2020-01-01T00:00:00Z"}
        ).json()
        url = f"/api/v1/documents/{doc['id']}/report"
        xml = auditor.get(url, params={"format": "xml", "revalidation": early["id"]})
        assert xml.status_code == 200
        schema.validate(xml.content)
        assert _main_indication(xml.content) == "urn:etsi:019102:mainindication:indeterminate"
        missing = auditor.get(url, params={"format": "pdf", "revalidation": early["id"] + 1000})
        assert missing.status_code == 404
        assert missing.json()["detail"].startswith(f"no re-validation {early['id'] + 1000} of")


def test_unoffered_types_and_bad_parameters_are_clean_errors(api: Api, good_sig: bytes) -> None:
    with api.client("a") as a:
        doc = submit(a, good_sig).json()
        url = f"/api/v1/documents/{doc['id']}/report"
        refused = a.get(url, headers={"Accept": "text/csv, application/json;q=0"})
        assert refused.status_code == 406
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "urn:docex:problem:not-acceptable"
        assert a.get(url, params={"format": "docx"}).status_code == 422
    # Nothing without a token, whatever the format.
    with api.client(None) as anonymous:
        assert anonymous.get(url, params={"format": "pdf"}).status_code == 401
