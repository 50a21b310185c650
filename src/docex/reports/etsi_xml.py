"""The ETSI TS 119 102-2 signature validation report, in XML, from docex's report model.

:func:`etsi_validation_report` turns a :class:`~docex.signatures.report.ValidationReport`
into a ``vr:ValidationReport`` (namespace ``http://uri.etsi.org/19102/v1.2.1#``) that
validates against the official schema kept in ``xsd/`` (see its README). The mapping:

- one ``SignatureValidationReport`` per docex signature, in report order;
- indication and sub-indication: ``SignatureValidationStatus`` with the URIs of
  TS 119 102-2 clause 4.3.4 (``urn:etsi:019102:mainindication:total-passed`` …,
  ``urn:etsi:019102:subindication:HASH_FAILURE`` …);
- every docex check: a ``ValidationConstraint`` (``urn:docex:check:<name>``) whose status
  is ``passed``/``failed``/``indeterminate`` and whose message is a ``ReportData`` entry;
- validation time and best signature time: ``ValidationTimeInfo``; the claimed signing time
  and the time-stamps: ``SignatureAttributes``;
- signer: ``SignerInformation`` (the certificate by reference, the name as text);
  qualification: ``SignatureQuality`` with EU DSS's qualification URIs;
- certificate chain, revocation data, time-stamps and the submitted file: validation
  objects in ``SignatureValidationObjects``, referenced by id; a time-stamp's object carries
  its own validation status;
- PDF modifications: docex reports them as the ``modifications`` check, so they appear as
  that constraint with its message.

The report is not signed (``ds:Signature`` is optional); docex signs nothing it reports.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from lxml import etree

from docex import __version__
from docex.signatures.report import (
    CertificateInfo,
    Check,
    CheckOutcome,
    Indication,
    Qualification,
    RevocationEvidence,
    SignatureReport,
    SubIndication,
    TimestampInfo,
    ValidationReport,
)

NS_VR: Final = "http://uri.etsi.org/19102/v1.2.1#"
NS_DS: Final = "http://www.w3.org/2000/09/xmldsig#"
NS_XADES: Final = "http://uri.etsi.org/01903/v1.3.2#"
NS_TSL: Final = "http://uri.etsi.org/02231/v2#"
_NSMAP: Final = {None: NS_VR, "ds": NS_DS, "XAdES": NS_XADES, "tsl": NS_TSL}

SCHEMA_DIR: Final = Path(__file__).resolve().parent / "xsd"
SCHEMA: Final = SCHEMA_DIR / "1910202xmlSchema.xsd"
"""The report's schema (XSD 1.1); it imports the schemas in :data:`SCHEMA_LOCATIONS`."""
SCHEMA_LOCATIONS: Final = (
    (NS_DS, str(SCHEMA_DIR / "xmldsig-core-schema.xsd")),
    (NS_XADES, str(SCHEMA_DIR / "XAdES.xsd")),
    (NS_TSL, str(SCHEMA_DIR / "ts_119612v020201_201601xsd.xsd")),
    ("http://www.w3.org/XML/1998/namespace", str(SCHEMA_DIR / "xml.xsd")),
)
"""Namespace → local schema file, for a validator that must not fetch the official URLs."""

SHA256_URI: Final = "http://www.w3.org/2001/04/xmlenc#sha256"

_MAIN: Final = "urn:etsi:019102:mainindication:"
MAIN_INDICATION_URIS: Final = {
    Indication.TOTAL_PASSED: _MAIN + "total-passed",
    Indication.TOTAL_FAILED: _MAIN + "total-failed",
    Indication.INDETERMINATE: _MAIN + "indeterminate",
}
"""The signature-level main indications (TS 119 102-2 clause 4.3.4.2)."""
SUB_INDICATION_PREFIX: Final = "urn:etsi:019102:subindication:"

# Constraint-level results use the plain passed/failed indications of the same table.
_CHECK_URIS: Final = {
    CheckOutcome.PASSED: _MAIN + "passed",
    CheckOutcome.FAILED: _MAIN + "failed",
    CheckOutcome.INDETERMINATE: _MAIN + "indeterminate",
}
_CONSTRAINT_APPLIED: Final = "urn:etsi:019102:constraintStatus:applied"
CHECK_URI_PREFIX: Final = "urn:docex:check:"
"""docex's checks are its own constraints; their identifiers are in docex's namespace."""
REPORT_DATA_MESSAGE: Final = "urn:docex:reportdata:message"
REPORT_DATA_FORMAT: Final = "urn:docex:reportdata:format"
REPORT_DATA_TSA: Final = "urn:docex:reportdata:tsa"

_QUALIFICATION: Final = "urn:cef:dss:signatureQualification:"
QUALIFICATION_URIS: Final = {
    Qualification.QESIG: _QUALIFICATION + "QESig",
    Qualification.QESEAL: _QUALIFICATION + "QESeal",
    Qualification.ADESIG_QC: _QUALIFICATION + "AdESigQC",
    Qualification.ADESEAL_QC: _QUALIFICATION + "AdESealQC",
    Qualification.ADESIG: _QUALIFICATION + "AdESig",
    Qualification.ADESEAL: _QUALIFICATION + "AdESeal",
    Qualification.NA: _QUALIFICATION + "notApplicable",
}
"""TS 119 102-2 leaves the quality URIs to the validator; these are EU DSS's, which
validators and their users already read."""

_OBJECT: Final = "urn:etsi:019102:validationObject:"
_POE_VALIDATION: Final = "urn:etsi:019102:poetype:validation"
_PROCESS: Final = "urn:etsi:019102:validationprocess:"
# EN 319 102-1: the basic process (5.3) for B, the process for signatures with time and
# long-term validation material (5.5) for T and LT, the archival process (5.6) for LTA.
_PROCESS_BY_LEVEL: Final = {"B": "Basic", "T": "LTVM", "LT": "LTVM", "LTA": "LTA"}

# Which SignatureAttributes element a time-stamp is, and whether it is a signed attribute.
_TIMESTAMP_ATTRIBUTES: Final = {
    "signature": ("SignatureTimeStamp", False),
    "content": ("AllDataObjectsTimeStamp", True),
    "document": ("DocTimeStamp", False),
}


def etsi_validation_report(report: ValidationReport) -> bytes:
    """The report as an ETSI TS 119 102-2 ``ValidationReport`` document (UTF-8 XML bytes).

    Every value comes from ``report``; nothing is verified again. The result validates
    against :data:`SCHEMA` (with :data:`SCHEMA_LOCATIONS` for its imports).
    """
    objects = _ValidationObjects(report)
    root = etree.Element(_vr("ValidationReport"), nsmap=_NSMAP)
    for index, signature in enumerate(report.signatures, start=1):
        root.append(_signature_report(report, signature, index, objects))
    if not report.signatures:
        # The schema asks for at least one SignatureValidationReport; docex reports a file
        # without any signature as TOTAL_FAILED/FORMAT_FAILURE, so say that of the file.
        root.append(_no_signature_report(report))
    objects.append_to(root)
    validator = _sub(root, "SignatureValidator")
    # DigitalId is mandatory, but docex has no certificate of its own: the "Other" form
    # of TS 119 612's digital identity names the software instead.
    digital_id = _sub(validator, "DigitalId")
    _sub_ns(digital_id, NS_TSL, "Other", f"docex {__version__}")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


class _ValidationObjects:
    """The validation objects of one report, each once, with ids the report refers to."""

    def __init__(self, report: ValidationReport) -> None:
        self._elements: list[etree._Element] = []
        self._seen: set[str] = set()
        self.document_id = "D-1"
        kind = "signedData" if report.document.kind == "pades" else "other"
        # For a PDF the file is the signed data. For CAdES the digest docex keeps is of the
        # CMS file, not of the (encapsulated or detached) content, so the object is "other".
        self._add(
            self.document_id,
            kind,
            _digest_representation(report.document.sha256),
        )

    def certificate(self, cert: CertificateInfo) -> str:
        object_id = f"C-{cert.sha256.upper()}"
        if object_id not in self._seen:
            self._add(object_id, "certificate", _digest_representation(cert.sha256))
        return object_id

    def revocation(self, evidence: RevocationEvidence) -> str:
        object_id = f"R-{evidence.sha256.upper()}"
        if object_id not in self._seen:
            kind = "OCSPResponse" if evidence.kind == "ocsp" else "CRL"
            self._add(object_id, kind, _digest_representation(evidence.sha256))
        return object_id

    def timestamp(self, signature_index: int, n: int, ts: TimestampInfo) -> str:
        object_id = f"T-{signature_index}-{n}"
        # The report model keeps no digest of a time-stamp token, so the representation
        # (a choice of optional elements) stays empty; its validation report says the rest.
        element = self._add(object_id, "timestamp", etree.Element(_vr("ValidationObject")))
        if ts.indication is Indication.TOTAL_PASSED:
            poe = _sub(element, "POE")
            _sub(poe, "POETime", _time(ts.time))
            _sub(poe, "TypeOfProof", _POE_VALIDATION)
        ts_report = _sub(element, "ValidationReport")
        status = _status(ts_report, "SignatureValidationStatus", ts.indication)
        _report_data(status, [(REPORT_DATA_TSA, ts.tsa), (REPORT_DATA_MESSAGE, ts.message)])
        return object_id

    def _add(self, object_id: str, kind: str, representation: etree._Element) -> etree._Element:
        self._seen.add(object_id)
        element = etree.Element(_vr("ValidationObject"), id=object_id)
        _sub(element, "ObjectType", _OBJECT + kind)
        element.append(representation)
        self._elements.append(element)
        return element

    def append_to(self, root: etree._Element) -> None:
        container = _sub(root, "SignatureValidationObjects")
        container.extend(self._elements)


def _signature_report(
    report: ValidationReport,
    sig: SignatureReport,
    index: int,
    objects: _ValidationObjects,
) -> etree._Element:
    element = etree.Element(_vr("SignatureValidationReport"))
    ident = _sub(element, "SignatureIdentifier", id=f"SIG-{index}")
    # The model keeps neither the signature value nor a digest of the signed attributes
    # (both optional here); docex's own id (S1, Signature1, L1.S1…) is the DA identifier.
    _sub(ident, "HashOnly", "false")
    _sub(ident, "DocHashOnly", "false")
    _sub(ident, "DAIdentifier", sig.id)

    constraints = _sub(element, "ValidationConstraintsEvaluationReport")
    for check in sig.checks:
        _constraint(constraints, check)

    time_info = _sub(element, "ValidationTimeInfo")
    _sub(time_info, "ValidationTime", _time(report.validation_time))
    best = _sub(time_info, "BestSignatureTime")
    _sub(best, "POETime", _time(sig.best_signature_time))
    _sub(best, "TypeOfProof", _POE_VALIDATION)
    timestamp_ids = [
        objects.timestamp(index, n, ts) for n, ts in enumerate(sig.timestamps, start=1)
    ]
    proving = [
        tid
        for tid, ts in zip(timestamp_ids, sig.timestamps, strict=True)
        if ts.indication is Indication.TOTAL_PASSED and ts.time == sig.timestamp_time
    ]
    if sig.timestamp_time is not None and sig.timestamp_time == sig.best_signature_time and proving:
        _sub(best, "POEObject", VOReference=proving[0])

    if report.document.kind == "pades":
        # A PDF signature signs (a revision of) the submitted file itself.
        signers_document = _sub(element, "SignersDocument")
        _digest_alg_and_value(signers_document, "DigestAlgAndValue", report.document.sha256)
        _sub(signers_document, "SignersDocumentRef", VOReference=objects.document_id)

    chain_ids = [objects.certificate(c) for c in sig.certificate_chain]
    revocation_ids = [objects.revocation(r) for r in sig.revocation]
    attributes = _signature_attributes(sig, chain_ids, timestamp_ids)
    _revocation_attributes(attributes, sig, revocation_ids)
    if len(attributes):
        # The element is a choice that needs at least one attribute: left out when there
        # is none to report (a signature that could not be read at all).
        element.append(attributes)

    if chain_ids:
        signer = _sub(element, "SignerInformation")
        _sub(signer, "SignerCertificate", VOReference=chain_ids[0])
        name = _signer_name(sig)
        if name:
            _sub(signer, "Signer", name)
    quality = _sub(element, "SignatureQuality")
    _sub(quality, "SignatureQualityInformation", QUALIFICATION_URIS[sig.qualification])
    level = sig.baseline_level
    if level is not None:
        process = _sub(element, "SignatureValidationProcess")
        _sub(process, "SignatureValidationProcessID", _PROCESS + _PROCESS_BY_LEVEL[level])

    status = _status(element, "SignatureValidationStatus", sig.indication)
    if sig.sub_indication is not None:
        status.insert(1, _vr_element("SubIndication", SUB_INDICATION_PREFIX + sig.sub_indication))
    associated = _sub(status, "AssociatedValidationReportData")
    if chain_ids:
        chain = _sub(associated, "CertificateChain")
        _sub(chain, "SigningCertificate", VOReference=chain_ids[0])
        # The last certificate is a trust anchor only when a path to one was found.
        anchored = (
            len(chain_ids) > 1
            and sig.sub_indication is not SubIndication.NO_CERTIFICATE_CHAIN_FOUND
        )
        for cid in chain_ids[1:-1] if anchored else chain_ids[1:]:
            _sub(chain, "IntermediateCertificate", VOReference=cid)
        if anchored:
            _sub(chain, "TrustAnchor", VOReference=chain_ids[-1])
    # RevocationStatusInformation is for a revoked certificate and needs the revocation
    # time, which the model does not keep: a revocation shows as the sub-indication and the
    # certificate check's message instead.
    _report_data_block(
        associated, [(REPORT_DATA_FORMAT, sig.format), (REPORT_DATA_MESSAGE, sig.message)]
    )
    return element


def _no_signature_report(report: ValidationReport) -> etree._Element:
    element = etree.Element(_vr("SignatureValidationReport"))
    time_info = _sub(element, "ValidationTimeInfo")
    _sub(time_info, "ValidationTime", _time(report.validation_time))
    best = _sub(time_info, "BestSignatureTime")
    _sub(best, "POETime", _time(report.validation_time))
    _sub(best, "TypeOfProof", _POE_VALIDATION)
    status = _status(element, "SignatureValidationStatus", report.indication)
    if report.sub_indication is not None:
        status.insert(
            1, _vr_element("SubIndication", SUB_INDICATION_PREFIX + report.sub_indication)
        )
    _report_data(status, [(REPORT_DATA_MESSAGE, report.message)])
    return element


def _signature_attributes(
    sig: SignatureReport,
    chain_ids: list[str],
    timestamp_ids: list[str],
) -> etree._Element:
    attributes = etree.Element(_vr("SignatureAttributes"))
    if sig.claimed_signing_time is not None:
        # CMS signing-time is a signed attribute; so is a PDF's /M, inside the signed
        # revision's signature dictionary.
        signing_time = _sub(attributes, "SigningTime", Signed="true")
        _sub(signing_time, "Time", _time(sig.claimed_signing_time))
    if chain_ids and not sig.format.endswith("NOT-ETSI"):
        # A signature docex calls CAdES/PAdES carries the signing-certificate(-v2)
        # attribute (without it the format is CMS-/PDF-NOT-ETSI).
        signing_cert = _sub(attributes, "SigningCertificate", Signed="true")
        _sub(signing_cert, "AttributeObject", VOReference=chain_ids[0])
    for tid, ts in zip(timestamp_ids, sig.timestamps, strict=True):
        name, signed = _TIMESTAMP_ATTRIBUTES.get(ts.kind, ("SignatureTimeStamp", False))
        attr = _sub(attributes, name, Signed="true" if signed else "false")
        _sub(attr, "AttributeObject", VOReference=tid)
        _sub(attr, "TimeStampValue", _time(ts.time))
    return attributes


def _revocation_attributes(
    attributes: etree._Element, sig: SignatureReport, revocation_ids: list[str]
) -> None:
    """Where the revocation data was found: the signature's or the PDF's own store.

    Data fetched online is only a validation object; it is no attribute of the signature.
    """
    pairs = list(zip(revocation_ids, sig.revocation, strict=True))
    embedded = [rid for rid, r in pairs if r.source == "embedded"]
    in_dss = [(rid, r) for rid, r in pairs if r.source == "dss"]
    if embedded:
        values = _sub(attributes, "RevocationValues", Signed="false")
        for rid in embedded:
            _sub(values, "AttributeObject", VOReference=rid)
    if in_dss:
        dss = _sub(attributes, "DSS", Signed="false")
        crls = [rid for rid, r in in_dss if r.kind == "crl"]
        ocsps = [rid for rid, r in in_dss if r.kind == "ocsp"]
        if crls:
            _sub(dss, "CRLs", VOReference=" ".join(crls))
        if ocsps:
            _sub(dss, "OCSPs", VOReference=" ".join(ocsps))


def _constraint(parent: etree._Element, check: Check) -> None:
    constraint = _sub(parent, "ValidationConstraint")
    _sub(constraint, "ValidationConstraintIdentifier", CHECK_URI_PREFIX + check.name)
    status = _sub(constraint, "ConstraintStatus")
    _sub(status, "Status", _CONSTRAINT_APPLIED)
    validation = _sub(constraint, "ValidationStatus")
    _sub(validation, "MainIndication", _CHECK_URIS[check.outcome])
    _report_data(validation, [(REPORT_DATA_MESSAGE, check.message)])


def _status(parent: etree._Element, name: str, indication: Indication) -> etree._Element:
    status = _sub(parent, name)
    _sub(status, "MainIndication", MAIN_INDICATION_URIS[indication])
    return status


def _report_data(status: etree._Element, entries: Iterable[tuple[str, str]]) -> None:
    _report_data_block(_sub(status, "AssociatedValidationReportData"), entries)


def _report_data_block(associated: etree._Element, entries: Iterable[tuple[str, str]]) -> None:
    additional = _sub(associated, "AdditionalValidationReportData")
    for data_type, value in entries:
        data = _sub(additional, "ReportData")
        _sub(data, "Type", data_type)
        _sub(data, "Value", value)


def _signer_name(sig: SignatureReport) -> str | None:
    if sig.signer is None:
        return None
    return sig.signer.common_name or sig.signer.subject or None


def _digest_representation(sha256_hex: str) -> etree._Element:
    representation = etree.Element(_vr("ValidationObject"))
    _digest_alg_and_value(representation, "DigestAlgAndValue", sha256_hex)
    return representation


def _digest_alg_and_value(parent: etree._Element, name: str, sha256_hex: str) -> None:
    digest = _sub(parent, name)
    _sub_ns(digest, NS_DS, "DigestMethod", Algorithm=SHA256_URI)
    _sub_ns(digest, NS_DS, "DigestValue", base64.b64encode(bytes.fromhex(sha256_hex)).decode())


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _vr(name: str) -> str:
    return f"{{{NS_VR}}}{name}"


def _vr_element(name: str, text: str) -> etree._Element:
    element = etree.Element(_vr(name))
    element.text = text
    return element


def _sub(
    parent: etree._Element, name: str, text: str | None = None, **attrs: str
) -> etree._Element:
    return _sub_ns(parent, NS_VR, name, text, **attrs)


def _sub_ns(
    parent: etree._Element, ns: str, name: str, text: str | None = None, **attrs: str
) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{name}", attrs)
    if text is not None:
        element.text = text
    return element
