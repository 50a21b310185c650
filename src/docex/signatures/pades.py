"""PAdES: signatures and document time-stamps embedded in PDF files (ETSI EN 319 142-1).

pyHanko reads the PDF; our own analysis (:mod:`docex.signatures.pdfdiff`) decides which
revisions each signature's byte range covers and whether what later revisions changed is
acceptable for it. We collect the validation data (DSS, and the Adobe
revocation-info attribute), validate the document time-stamps, and hand each signer to
the shared CMS validation with the document time-stamps that cover it as proofs of
existence.
"""

from __future__ import annotations

import hashlib
from io import BytesIO

from asn1crypto import crl, ocsp
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import (
    MultivaluedAttributeError,
    NonexistentAttributeError,
    find_unique_cms_attribute,
)
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from docex.errors import NotASignatureError
from docex.signatures.cms_signature import ContainerCheck, Engine, SignerInput, validate_signer
from docex.signatures.evidence import ValidationData, from_signed_data
from docex.signatures.pdfdiff import DocumentChanges, analyse
from docex.signatures.report import (
    Check,
    CheckOutcome,
    DocumentInfo,
    Indication,
    SignatureReport,
    SubIndication,
)
from docex.signatures.timestamps import ImprintFor, TimestampResult, validate_timestamp


async def validate_pades(
    pdf: bytes, *, engine: Engine
) -> tuple[DocumentInfo, list[SignatureReport]]:
    """Validate every signature in a PDF file."""
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise NotASignatureError(f"the PDF cannot be read: {exc}") from exc
    regular = [e for e in embedded if e.sig_object_type == "/Sig"]
    doc_timestamps = [e for e in embedded if e.sig_object_type == "/DocTimeStamp"]
    if not regular:
        raise NotASignatureError("the PDF carries no signature")
    document = DocumentInfo(
        kind="pades", sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), detached=False
    )
    dss = _dss_data(reader)
    timestamps = [
        (emb.signed_revision, await _document_timestamp(emb, dss, engine)) for emb in doc_timestamps
    ]
    changes = analyse(reader, embedded)
    reports = []
    for emb in regular:
        data = (
            from_signed_data(emb.signed_data, parsed=engine.parsed)
            .merged(dss)
            .merged(_adobe_revinfo(emb))
        )
        covering = [ts for rev, ts in timestamps if rev > emb.signed_revision]
        subject = SignerInput(
            id=str(emb.field_name),
            format_prefix="PAdES",
            signed_data=emb.signed_data,
            signer_info=emb.signer_info,
            content_digest=_byte_range_digest(emb),
            data=data,
            proofs_of_existence=tuple(covering),
            has_long_term_data=data.has_revocation_data,
            has_archive_timestamp=bool(covering) and dss.has_revocation_data,
            extra_checks=tuple(_container_checks(emb, changes)),
            claimed_signing_time=emb.self_reported_timestamp,
        )
        reports.append(await validate_signer(subject, engine))
    return document, reports


def _byte_range_digest(emb: EmbeddedPdfSignature) -> ImprintFor:
    def digest(algorithm: str) -> bytes:
        return emb.compute_digest(algorithm)

    return digest


def _container_checks(emb: EmbeddedPdfSignature, changes: DocumentChanges) -> list[Check]:
    if changes.covered_revision(emb) is None:
        return [
            Check(
                "byte_range",
                CheckOutcome.FAILED,
                "the signature's byte range does not cover the whole signed revision",
            )
        ]
    checks: list[Check] = [
        Check("byte_range", CheckOutcome.PASSED, "the byte range covers the signed revision")
    ]
    found = changes.for_signature(emb)
    if found.undetermined is not None:
        # The analysis could not finish within its bounds: neither pass nor fail.
        checks.append(
            ContainerCheck(
                "modifications",
                CheckOutcome.INDETERMINATE,
                f"changes after signing could not be analysed: {found.undetermined}",
                indication=Indication.INDETERMINATE,
                sub_indication=SubIndication.SIG_CONSTRAINTS_FAILURE,
            )
        )
    elif found.violations:
        # EU DSS gives FORMAT_FAILURE when its PDF modification checks fail; the signed
        # bytes themselves are intact (that would be HASH_FAILURE).
        checks.append(
            ContainerCheck(
                "modifications",
                CheckOutcome.FAILED,
                _listing(found.violations),
                indication=Indication.TOTAL_FAILED,
                sub_indication=SubIndication.FORMAT_FAILURE,
            )
        )
    elif not found.later_revisions:
        checks.append(Check("modifications", CheckOutcome.PASSED, "no changes after signing"))
    elif not found.accepted:
        checks.append(
            Check(
                "modifications",
                CheckOutcome.PASSED,
                "only validation data or metadata added after signing",
            )
        )
    else:
        checks.append(
            Check(
                "modifications",
                CheckOutcome.PASSED,
                f"changes after signing are allowed: {_listing(found.accepted)}",
            )
        )
    return checks


def _listing(items: tuple[str, ...], shown: int = 4) -> str:
    text = "; ".join(items[:shown])
    if len(items) > shown:
        text += f" (and {len(items) - shown} more)"
    return text


async def _document_timestamp(
    emb: EmbeddedPdfSignature, dss: ValidationData, engine: Engine
) -> TimestampResult:
    data = dss.merged(from_signed_data(emb.signed_data, parsed=engine.parsed))
    return await validate_timestamp(
        emb.signed_data,
        kind="document",
        expected_imprint=_byte_range_digest(emb),
        data=data,
        evaluator=engine.evaluator,
        parsed=engine.parsed,
    )


def _dss_data(reader: PdfFileReader) -> ValidationData:
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return ValidationData(source="dss")
    ocsps = tuple(
        ocsp.OCSPResponse.load(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE))
        for ref in dss.ocsps
    )
    crls = tuple(
        crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL)) for ref in dss.crls
    )
    return ValidationData(certs=tuple(dss.load_certs()), crls=crls, ocsps=ocsps, source="dss")


def _adobe_revinfo(emb: EmbeddedPdfSignature) -> ValidationData:
    try:
        archival = find_unique_cms_attribute(
            emb.signer_info["signed_attrs"], "adobe_revocation_info_archival"
        )
    except (NonexistentAttributeError, MultivaluedAttributeError):
        return ValidationData()
    return ValidationData(crls=tuple(archival["crl"] or ()), ocsps=tuple(archival["ocsp"] or ()))
