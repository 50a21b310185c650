"""The ETSI TS 119 102-2 XML report: valid against the official schema, and faithful.

Every assertion compares the XML with the report it was made from, which came from a real
verification (``conftest.py``), and with the verdict the case must have.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC

import pytest
import xmlschema
from lxml import etree

from docex.reports.etsi_xml import (
    MAIN_INDICATION_URIS,
    NS_DS,
    NS_VR,
    QUALIFICATION_URIS,
    SUB_INDICATION_PREFIX,
    etsi_validation_report,
)
from docex.signatures.report import CheckOutcome, Indication, ValidationReport, summarize
from tests.reports.conftest import Case

NS = {"vr": NS_VR, "ds": NS_DS}
CASES = ("cades-valid", "cades-tampered", "pades-changed", "dstu-valid", "cades-untrusted")


def _xml(case: Case) -> etree._Element:
    return etree.fromstring(etsi_validation_report(case.report))


def _texts(node: etree._Element, path: str) -> list[str]:
    return [e.text or "" for e in node.iterfind(path, NS)]


def _b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


@pytest.mark.parametrize("name", CASES)
def test_the_report_validates_against_the_official_schema(
    cases: dict[str, Case], schema: xmlschema.XMLSchema11, name: str
) -> None:
    xml = etsi_validation_report(cases[name].report)
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    errors = [str(e) for e in schema.iter_errors(xml.decode("utf-8"))]
    assert errors == []


def test_the_schema_refuses_a_report_without_its_mandatory_status(
    cases: dict[str, Case], schema: xmlschema.XMLSchema11
) -> None:
    # The validation in these tests can fail: drop what TS 119 102-2 makes mandatory.
    root = _xml(cases["cades-valid"])
    signature = root.find("vr:SignatureValidationReport", NS)
    assert signature is not None
    status = signature.find("vr:SignatureValidationStatus", NS)
    assert status is not None
    signature.remove(status)
    assert not schema.is_valid(etree.tostring(root).decode())


@pytest.mark.parametrize("name", CASES)
def test_each_signature_carries_its_exact_indication_and_sub_indication(
    cases: dict[str, Case], name: str
) -> None:
    case = cases[name]
    (sig,) = case.report.signatures
    assert (sig.indication, sig.sub_indication, sig.qualification) == (
        case.indication,
        case.sub_indication,
        case.qualification,
    )
    (element,) = _xml(case).iterfind("vr:SignatureValidationReport", NS)
    status = element.find("vr:SignatureValidationStatus", NS)
    assert status is not None
    assert _texts(status, "vr:MainIndication") == [MAIN_INDICATION_URIS[case.indication]]
    expected_sub = (
        [] if case.sub_indication is None else [f"{SUB_INDICATION_PREFIX}{case.sub_indication}"]
    )
    assert _texts(status, "vr:SubIndication") == expected_sub
    assert _texts(element, "vr:SignatureQuality/vr:SignatureQualityInformation") == [
        QUALIFICATION_URIS[case.qualification]
    ]
    assert _texts(element, "vr:SignatureIdentifier/vr:DAIdentifier") == [sig.id]
    assert _texts(
        status,
        "vr:AssociatedValidationReportData/vr:AdditionalValidationReportData/vr:ReportData/vr:Value",
    ) == [sig.format, sig.message]


def test_indication_uris_are_those_of_ts_119_102_2() -> None:
    assert MAIN_INDICATION_URIS == {
        Indication.TOTAL_PASSED: "urn:etsi:019102:mainindication:total-passed",
        Indication.TOTAL_FAILED: "urn:etsi:019102:mainindication:total-failed",
        Indication.INDETERMINATE: "urn:etsi:019102:mainindication:indeterminate",
    }
    assert SUB_INDICATION_PREFIX == "urn:etsi:019102:subindication:"


@pytest.mark.parametrize("name", CASES)
def test_the_signer_is_named_in_cyrillic_and_referenced_by_certificate(
    cases: dict[str, Case], name: str
) -> None:
    case = cases[name]
    (sig,) = case.report.signatures
    root = _xml(case)
    assert _texts(root, "vr:SignatureValidationReport/vr:SignerInformation/vr:Signer") == [
        case.signer
    ]
    signer_ref = root.find(
        "vr:SignatureValidationReport/vr:SignerInformation/vr:SignerCertificate", NS
    )
    assert signer_ref is not None
    signer_id = signer_ref.get("VOReference")
    assert signer_id == f"C-{sig.certificate_chain[0].sha256.upper()}"
    (vo,) = root.iterfind(
        f"vr:SignatureValidationObjects/vr:ValidationObject[@id='{signer_id}']", NS
    )
    assert _texts(vo, "vr:ObjectType") == ["urn:etsi:019102:validationObject:certificate"]
    assert _texts(vo, "vr:ValidationObject/vr:DigestAlgAndValue/ds:DigestValue") == [
        _b64(sig.certificate_chain[0].sha256)
    ]


@pytest.mark.parametrize("name", ["cades-valid", "dstu-valid"])
def test_the_chain_ends_at_the_trust_anchor(cases: dict[str, Case], name: str) -> None:
    (sig,) = cases[name].report.signatures
    chain = _xml(cases[name]).find(
        "vr:SignatureValidationReport/vr:SignatureValidationStatus/"
        "vr:AssociatedValidationReportData/vr:CertificateChain",
        NS,
    )
    assert chain is not None
    refs = [(etree.QName(e).localname, e.get("VOReference")) for e in chain]
    ids = [f"C-{c.sha256.upper()}" for c in sig.certificate_chain]
    assert len(ids) == 3
    assert refs == [
        ("SigningCertificate", ids[0]),
        ("IntermediateCertificate", ids[1]),
        ("TrustAnchor", ids[2]),
    ]


def test_without_a_path_to_an_anchor_no_certificate_is_called_one(
    cases: dict[str, Case],
) -> None:
    (sig,) = cases["cades-untrusted"].report.signatures
    chain = _xml(cases["cades-untrusted"]).find(
        "vr:SignatureValidationReport/vr:SignatureValidationStatus/"
        "vr:AssociatedValidationReportData/vr:CertificateChain",
        NS,
    )
    assert chain is not None
    assert chain.find("vr:TrustAnchor", NS) is None
    refs = [e.get("VOReference") for e in chain]
    assert refs == [f"C-{c.sha256.upper()}" for c in sig.certificate_chain]


@pytest.mark.parametrize("name", CASES)
def test_every_check_is_a_constraint_with_its_outcome_and_message(
    cases: dict[str, Case], name: str
) -> None:
    (sig,) = cases[name].report.signatures
    constraints = list(
        _xml(cases[name]).iterfind(
            "vr:SignatureValidationReport/vr:ValidationConstraintsEvaluationReport/"
            "vr:ValidationConstraint",
            NS,
        )
    )
    outcome_uri = {
        CheckOutcome.PASSED: "urn:etsi:019102:mainindication:passed",
        CheckOutcome.FAILED: "urn:etsi:019102:mainindication:failed",
        CheckOutcome.INDETERMINATE: "urn:etsi:019102:mainindication:indeterminate",
    }
    got = [
        (
            _texts(c, "vr:ValidationConstraintIdentifier")[0],
            _texts(c, "vr:ValidationStatus/vr:MainIndication")[0],
            _texts(c, "vr:ValidationStatus//vr:ReportData/vr:Value")[0],
        )
        for c in constraints
    ]
    assert got == [
        (f"urn:docex:check:{c.name}", outcome_uri[c.outcome], c.message) for c in sig.checks
    ]


def test_a_change_after_signing_is_the_failed_modifications_constraint(
    cases: dict[str, Case],
) -> None:
    root = _xml(cases["pades-changed"])
    (constraint,) = root.iterfind(
        ".//vr:ValidationConstraint[vr:ValidationConstraintIdentifier="
        "'urn:docex:check:modifications']",
        NS,
    )
    assert _texts(constraint, "vr:ValidationStatus/vr:MainIndication") == [
        "urn:etsi:019102:mainindication:failed"
    ]
    (message,) = _texts(constraint, "vr:ValidationStatus//vr:ReportData/vr:Value")
    assert 'field "diagnosis" changed after signature 1' in message


def test_a_pdf_is_the_signers_document_by_its_sha256(cases: dict[str, Case]) -> None:
    report = cases["pades-changed"].report
    root = _xml(cases["pades-changed"])
    signers_document = root.find("vr:SignatureValidationReport/vr:SignersDocument", NS)
    assert signer_document_digest(signers_document) == _b64(report.document.sha256)
    (document,) = root.iterfind("vr:SignatureValidationObjects/vr:ValidationObject[@id='D-1']", NS)
    assert _texts(document, "vr:ObjectType") == ["urn:etsi:019102:validationObject:signedData"]


def signer_document_digest(element: etree._Element | None) -> str:
    assert element is not None
    (value,) = _texts(element, "vr:DigestAlgAndValue/ds:DigestValue")
    return value


@pytest.mark.parametrize("name", ["cades-valid", "dstu-valid"])
def test_the_signature_time_stamp_proves_the_best_signature_time(
    cases: dict[str, Case], name: str
) -> None:
    (sig,) = cases[name].report.signatures
    assert sig.timestamp_time is not None
    root = _xml(cases[name])
    (attr,) = root.iterfind(
        "vr:SignatureValidationReport/vr:SignatureAttributes/vr:SignatureTimeStamp", NS
    )
    stamp_ref = attr.find("vr:AttributeObject", NS)
    assert stamp_ref is not None
    stamp_id = stamp_ref.get("VOReference")
    time_info = root.find("vr:SignatureValidationReport/vr:ValidationTimeInfo", NS)
    assert time_info is not None
    assert _texts(time_info, "vr:BestSignatureTime/vr:POETime") == _texts(attr, "vr:TimeStampValue")
    poe_object = time_info.find("vr:BestSignatureTime/vr:POEObject", NS)
    assert poe_object is not None
    assert poe_object.get("VOReference") == stamp_id
    (vo,) = root.iterfind(
        f"vr:SignatureValidationObjects/vr:ValidationObject[@id='{stamp_id}']", NS
    )
    assert _texts(vo, "vr:ObjectType") == ["urn:etsi:019102:validationObject:timestamp"]
    assert _texts(vo, "vr:ValidationReport/vr:SignatureValidationStatus/vr:MainIndication") == [
        "urn:etsi:019102:mainindication:total-passed"
    ]
    # Revocation data embedded in the CAdES: each piece is an object the attribute lists.
    revocation_refs = _attribute_refs(root, "RevocationValues")
    assert revocation_refs == [f"R-{r.sha256.upper()}" for r in sig.revocation]
    assert {r.source for r in sig.revocation} == {"embedded"}


def _attribute_refs(root: etree._Element, attribute: str) -> list[str]:
    return [
        e.get("VOReference") or ""
        for e in root.iterfind(
            f"vr:SignatureValidationReport/vr:SignatureAttributes/vr:{attribute}/vr:AttributeObject",
            NS,
        )
    ]


def test_two_signatures_share_their_objects_and_keep_their_own_verdicts(
    two_signers: Case, schema: xmlschema.XMLSchema11
) -> None:
    report = two_signers.report
    xml = etsi_validation_report(report)
    assert [str(e) for e in schema.iter_errors(xml.decode("utf-8"))] == []
    root = etree.fromstring(xml)
    elements = list(root.iterfind("vr:SignatureValidationReport", NS))
    assert [_texts(e, "vr:SignatureIdentifier/vr:DAIdentifier")[0] for e in elements] == [
        s.id for s in report.signatures
    ]
    assert [
        _texts(e, "vr:SignatureQuality/vr:SignatureQualityInformation")[0] for e in elements
    ] == [QUALIFICATION_URIS[s.qualification] for s in report.signatures]
    assert [_texts(e, "vr:SignerInformation/vr:Signer")[0] for e in elements] == [
        s.signer.common_name for s in report.signatures if s.signer is not None
    ]
    # Both chains end at the same root: one validation object, referenced twice.
    (root_sha,) = {s.certificate_chain[-1].sha256 for s in report.signatures}
    objects = root.findall(
        f"vr:SignatureValidationObjects/vr:ValidationObject[@id='C-{root_sha.upper()}']", NS
    )
    assert len(objects) == 1


def test_a_document_time_stamp_is_the_doc_time_stamp_attribute_of_an_lta(
    pades_lta: ValidationReport, schema: xmlschema.XMLSchema11
) -> None:
    (sig,) = pades_lta.signatures
    assert (sig.format, sig.indication) == ("PAdES-BASELINE-LTA", Indication.TOTAL_PASSED)
    xml = etsi_validation_report(pades_lta)
    assert [str(e) for e in schema.iter_errors(xml.decode("utf-8"))] == []
    element = etree.fromstring(xml).find("vr:SignatureValidationReport", NS)
    assert element is not None
    attributes = element.find("vr:SignatureAttributes", NS)
    assert attributes is not None
    stamps = [
        (etree.QName(e).localname, e.get("Signed"), _texts(e, "vr:TimeStampValue")[0])
        for e in attributes
        if etree.QName(e).localname.endswith("TimeStamp")
    ]
    assert stamps == [
        (
            {"signature": "SignatureTimeStamp", "document": "DocTimeStamp"}[t.kind],
            "false",
            t.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        )
        for t in sig.timestamps
    ]
    assert {t.kind for t in sig.timestamps} == {"signature", "document"}
    assert _texts(element, "vr:SignatureValidationProcess/vr:SignatureValidationProcessID") == [
        "urn:etsi:019102:validationprocess:LTA"
    ]


def test_a_report_without_signatures_still_validates_and_says_format_failure(
    cases: dict[str, Case], schema: xmlschema.XMLSchema11
) -> None:
    # What the model says of a file without signatures: its own summary of no signatures.
    indication, sub_indication, qualification = summarize(())
    empty = replace(
        cases["cades-valid"].report,
        signatures=(),
        indication=indication,
        sub_indication=sub_indication,
        qualification=qualification,
    )
    xml = etsi_validation_report(empty)
    assert [str(e) for e in schema.iter_errors(xml.decode("utf-8"))] == []
    (element,) = etree.fromstring(xml).iterfind("vr:SignatureValidationReport", NS)
    status = element.find("vr:SignatureValidationStatus", NS)
    assert status is not None
    assert _texts(status, "vr:MainIndication") == ["urn:etsi:019102:mainindication:total-failed"]
    assert _texts(status, "vr:SubIndication") == ["urn:etsi:019102:subindication:FORMAT_FAILURE"]
    assert _texts(status, ".//vr:ReportData/vr:Value") == ["no signature found"]
