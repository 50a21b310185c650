"""PAdES: signatures and document time-stamps embedded in PDF files (ETSI EN 319 142-1).

pyHanko reads the PDF, checks which bytes each signature covers, and analyses what the
later revisions changed. We take its verdict on coverage and modifications, collect the
validation data (DSS, and the Adobe revocation-info attribute), validate the document
time-stamps, and hand each signer to the shared CMS validation with the document
time-stamps that cover it as proofs of existence.
"""

from __future__ import annotations

import hashlib
from io import BytesIO

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffResult, ModificationLevel
from pyhanko.sign.diff_analysis.policy_api import SuspiciousModification
from pyhanko.sign.general import (
    MultivaluedAttributeError,
    NonexistentAttributeError,
    find_unique_cms_attribute,
)
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel

from docex.errors import NotASignatureError
from docex.signatures.cms_signature import Engine, SignerInput, validate_signer
from docex.signatures.evidence import ValidationData, dss_validation_data, from_signed_data
from docex.signatures.limits import DEFAULT_LIMITS, Limits
from docex.signatures.report import Check, CheckOutcome, DocumentInfo, SignatureReport
from docex.signatures.timestamps import ImprintFor, TimestampResult, validate_timestamp

# Changes after signing that keep the signed content as it was: adding validation data
# and document time-stamps (LTA_UPDATES) and filling in further signature fields.
ACCEPTABLE_MODIFICATIONS = ModificationLevel.FORM_FILLING


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
    dss = _dss_data(reader, engine.evaluator.limits)
    timestamps = [
        (emb.signed_revision, await _document_timestamp(emb, dss, engine)) for emb in doc_timestamps
    ]
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
            extra_checks=tuple(_container_checks(emb)),
            claimed_signing_time=emb.self_reported_timestamp,
        )
        reports.append(await validate_signer(subject, engine))
    return document, reports


def _byte_range_digest(emb: EmbeddedPdfSignature) -> ImprintFor:
    def digest(algorithm: str) -> bytes:
        return emb.compute_digest(algorithm)

    return digest


def _container_checks(emb: EmbeddedPdfSignature) -> list[Check]:
    emb.compute_integrity_info(diff_policy=DEFAULT_DIFF_POLICY)  # type: ignore[no-untyped-call]
    if emb.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return [
            Check(
                "byte_range",
                CheckOutcome.FAILED,
                "the signature's byte range does not cover the whole signed revision",
            )
        ]
    checks = [Check("byte_range", CheckOutcome.PASSED, "the byte range covers the signed revision")]
    # pyHanko types diff_result as None until compute_integrity_info has filled it in.
    result: DiffResult | SuspiciousModification | None = emb.diff_result
    if result is None:
        return [*checks, Check("modifications", CheckOutcome.FAILED, "no difference analysis")]
    if isinstance(result, SuspiciousModification):
        checks.append(
            Check(
                "modifications",
                CheckOutcome.FAILED,
                # pyHanko's explanation runs to many lines of object references.
                f"the PDF changed after signing: {str(result).splitlines()[0]}",
            )
        )
    elif result.modification_level > ACCEPTABLE_MODIFICATIONS:
        checks.append(
            Check(
                "modifications",
                CheckOutcome.FAILED,
                f"the PDF changed after signing ({result.modification_level.name.lower()})",
            )
        )
    else:
        level = result.modification_level
        what = {
            ModificationLevel.NONE: "no changes after signing",
            ModificationLevel.LTA_UPDATES: "only validation data and time-stamps added later",
            ModificationLevel.FORM_FILLING: "only signatures and form fields added after signing",
        }.get(level, level.name)
        checks.append(Check("modifications", CheckOutcome.PASSED, what))
    return checks


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


def _dss_data(reader: PdfFileReader, limits: Limits = DEFAULT_LIMITS) -> ValidationData:
    return dss_validation_data(reader, limits=limits)


def _adobe_revinfo(emb: EmbeddedPdfSignature) -> ValidationData:
    try:
        archival = find_unique_cms_attribute(
            emb.signer_info["signed_attrs"], "adobe_revocation_info_archival"
        )
    except (NonexistentAttributeError, MultivaluedAttributeError):
        return ValidationData()
    return ValidationData(crls=tuple(archival["crl"] or ()), ocsps=tuple(archival["ocsp"] or ()))
