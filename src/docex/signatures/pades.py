"""PAdES: signatures and document time-stamps embedded in PDF files (ETSI EN 319 142-1).

pyHanko reads the PDF; our own analysis (:mod:`docex.signatures.pdfdiff`) decides which
revisions each signature's byte range covers and whether what later revisions changed is
acceptable for it. We collect the validation data (DSS, and the Adobe
revocation-info attribute), validate the document time-stamps, and hand each signer to
the shared CMS validation with the document time-stamps that cover it as proofs of
existence.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from asn1crypto import cms, core
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt.api import AuthStatus
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import (
    MultivaluedAttributeError,
    NonexistentAttributeError,
    find_unique_cms_attribute,
)

from docex.errors import NotASignatureError
from docex.signatures import dstu
from docex.signatures.algorithms import ALLOWED_DIGESTS
from docex.signatures.cms_signature import ContainerCheck, Engine, SignerInput, validate_signer
from docex.signatures.digests import signer_digest_algorithm
from docex.signatures.evidence import ValidationData, dss_validation_data, from_signed_data
from docex.signatures.failures import MALFORMED_INPUT_ERRORS, error_report, unevaluated_report
from docex.signatures.limits import DEFAULT_LIMITS, Limits
from docex.signatures.pdf_embedded import EmbeddedPdfSignature, filled_signature_fields
from docex.signatures.pdfdiff import DocumentChanges, analyse
from docex.signatures.pyhanko_imports import prepare_pdf_reader
from docex.signatures.report import (
    Check,
    CheckOutcome,
    DocumentInfo,
    Indication,
    Qualification,
    SignatureReport,
    SubIndication,
    TimestampInfo,
)
from docex.signatures.timestamps import (
    ImprintFor,
    TimestampResult,
    confirm_covering,
    digest_imprint,
    validate_timestamp,
)

logger = logging.getLogger("docex.signatures")

# pyHanko's parser reads hex strings (a signature's /Contents) one digit at a time; docex's
# bulk reader takes its place for the pyHanko versions it was checked against (issue 12).
prepare_pdf_reader()

# adbe.pkcs7.sha1 (ISO 32000-2 §12.8.3.3): the CMS encapsulates a SHA-1 digest of the byte
# range. Every other SubFilter whose /Contents parses as CMS SignedData is read as a
# detached CMS over the byte range (adbe.pkcs7.detached, ETSI.CAdES.detached, and
# extensions such as PBAD.PAdES), as DSS reads them; one whose /Contents is not CMS
# (adbe.x509.rsa_sha1) is reported as a format failure.
SHA1_SUBFILTER = "/adbe.pkcs7.sha1"

# The format given to the entry a PDF with only document time-stamps gets (see
# docs/report.md): it is a verdict on the document, not on a signature.
DOCUMENT_TIMESTAMP_FORMAT = "PAdES-DOCUMENT-TIMESTAMP"

# Every PDF signature dictionary has one; a PDF without it was never signed, so when
# the file cannot be parsed at all it is refused as "not a signature" rather than
# reported as a damaged signed PDF.
_SIGNATURE_MARKER = b"/ByteRange"


@dataclass(frozen=True)
class PdfSignature:
    """One filled signature field of a PDF, as read.

    ``signer_infos`` holds every SignerInfo of the field's CMS: a PDF signature normally
    has one, but nothing in CMS forbids more, and each is reported on its own.
    """

    field_name: str
    embedded: EmbeddedPdfSignature
    """pyHanko's view: byte range, signed revision and modification analysis."""
    subfilter: str | None
    signer_infos: tuple[cms.SignerInfo, ...]

    @property
    def is_document_timestamp(self) -> bool:
        """True for a ``/DocTimeStamp`` (ETSI.RFC3161) field."""
        return self.embedded.sig_object_type == "/DocTimeStamp"


async def validate_pades(
    pdf: bytes, *, engine: Engine
) -> tuple[DocumentInfo, list[SignatureReport]]:
    """Validate every signature in a PDF file.

    A PDF that carries document time-stamps but no signature gets one entry per
    time-stamp (format :data:`DOCUMENT_TIMESTAMP_FORMAT`), never a passing verdict.

    :raises NotASignatureError: the bytes are no PDF pyHanko can read and show no
        signature dictionary, the PDF needs a password, or it has no filled signature field.
    """
    document = DocumentInfo(
        kind="pades", sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), detached=False
    )
    try:
        reader = open_pdf(pdf, engine.evaluator.limits)
        fields = list(filled_signature_fields(reader))
    except NotASignatureError:
        raise
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        if _SIGNATURE_MARKER not in pdf:
            raise NotASignatureError(f"the PDF cannot be read: {exc}") from exc
        return document, [_unreadable(engine, "PDF", f"the signed PDF cannot be read: {exc}")]
    signatures: list[PdfSignature] = []
    reports: list[SignatureReport] = []
    for fq_name, _, sig_field in fields:
        try:
            signatures.append(read_signature(reader, sig_field, str(fq_name)))
        except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            # One damaged signature field does not stop the others from being checked.
            reports.append(
                _unreadable(engine, str(fq_name), f"the signature cannot be read: {exc}")
            )
    if not signatures and not reports:
        raise NotASignatureError("the PDF carries no signature")
    signatures.sort(key=lambda s: s.embedded.signed_revision)
    try:
        dss = dss_validation_data(reader, limits=engine.evaluator.limits, parsed=engine.parsed)
    except MemoryError:
        raise  # the memory budget's to report, not a signature's
    except Exception as exc:
        # A damaged DSS is validation data we cannot use; the signatures stand without it.
        logger.error("reading the PDF's document security store failed", exc_info=exc)
        dss = ValidationData(source="dss")
    changes = analyse(reader, [s.embedded for s in signatures])
    doc_timestamps = [s for s in signatures if s.is_document_timestamp]
    regular = [s for s in signatures if not s.is_document_timestamp]
    timestamps = [
        (s.embedded.signed_revision, await _document_timestamp(s.embedded, dss, engine))
        for s in doc_timestamps
    ]
    # Each document time-stamp covers the revisions before it, earlier time-stamps included:
    # their TSAs are validated again at the time the next one proves (the last's: now).
    confirmed = await confirm_covering(
        [ts for _, ts in timestamps],
        validation_time=engine.validation_time,
        evaluator=engine.evaluator,
    )
    timestamps = [(rev, ts) for (rev, _), ts in zip(timestamps, confirmed, strict=True)]
    if not regular and not reports:
        return document, [
            _timestamp_only(s, ts, changes, engine)
            for s, (_, ts) in zip(doc_timestamps, timestamps, strict=True)
        ]
    for sig in regular:
        covering = [ts for rev, ts in timestamps if rev > sig.embedded.signed_revision]
        try:
            reports.extend(await _validate_signature(sig, dss, covering, changes, engine))
        except MemoryError:
            raise  # the memory budget's to report, not a signature's
        except Exception as exc:
            # A bug or an unforeseen input: this field gets a verdict, the others theirs.
            logger.error("verifying PDF signature %s failed", sig.field_name, exc_info=exc)
            reports.append(
                error_report(sig.field_name, "PAdES-BASELINE-B", engine.validation_time, exc)
            )
    return document, reports


def open_pdf(pdf: bytes, limits: Limits = DEFAULT_LIMITS) -> PdfFileReader:
    """A pyHanko reader over the PDF, decrypted when it opens with the empty password.

    pyHanko's own stream decoding is held to ``limits`` (its defaults allow a stream to
    inflate to a hundred times the file's size).

    :raises NotASignatureError: the PDF is encrypted with a password or a certificate.
    """
    reader = _Reader(BytesIO(pdf), strict=False, decode_limits=limits.pdf_decode_limits())
    if reader.encrypted:
        try:
            status = reader.decrypt("").status
        except (PdfError, ValueError, TypeError, KeyError, NotImplementedError) as exc:
            raise NotASignatureError(f"the PDF's encryption is not supported: {exc}") from exc
        if status is AuthStatus.FAILED:
            raise NotASignatureError("the PDF is encrypted with a password")
    return reader


class _Reader(PdfFileReader):
    """pyHanko's reader, reading ``/Encrypt null`` as no encryption.

    ISO 32000-2 §7.3.9: a dictionary entry whose value is null is treated as absent. pyHanko
    refuses such a trailer outright ("Encryption settings must be a dictionary").
    """

    @property
    def encrypt_dict(self) -> generic.DictionaryObject | None:
        try:
            entry = self.trailer.raw_get("/Encrypt")
        except KeyError:
            return None
        if isinstance(entry, generic.IndirectObject):
            # pyHanko leaves get_object untyped.
            entry = self.get_object(entry.reference, never_decrypt=True)  # type: ignore[no-untyped-call]
        if isinstance(entry, generic.NullObject):
            return None
        encrypt_dict: generic.DictionaryObject | None = super().encrypt_dict
        return encrypt_dict


def read_signature(reader: PdfFileReader, sig_field: Any, fq_name: str) -> PdfSignature:
    """Read one filled signature field.

    :raises ValueError, PdfError...: the field's signature dictionary or CMS is malformed.
    """
    field = sig_field.get_object() if isinstance(sig_field, generic.IndirectObject) else sig_field  # type: ignore[no-untyped-call]  # pyHanko leaves get_object untyped
    subfilter_obj = field["/V"].get_object().get("/SubFilter")
    subfilter = str(subfilter_obj) if subfilter_obj is not None else None
    # A CMS with several SignerInfos is read around the first; each is validated below.
    embedded = EmbeddedPdfSignature(reader, field, fq_name)
    signer_infos = tuple(embedded.signed_data["signer_infos"])
    if not signer_infos:
        raise ValueError("the signature's CMS carries no signer")
    # pyHanko digests the byte range with the signer's digestAlgorithm as written; one
    # that carries a signature-algorithm OID is read as its digest (see digests.py).
    digest = signer_digest_algorithm(embedded.signer_info)
    if embedded.external_md_algorithm == embedded.md_algorithm:
        embedded.external_md_algorithm = digest
    embedded.md_algorithm = digest
    return PdfSignature(fq_name, embedded, subfilter, signer_infos)


async def _validate_signature(
    sig: PdfSignature,
    dss: ValidationData,
    covering: list[TimestampResult],
    changes: DocumentChanges,
    engine: Engine,
) -> list[SignatureReport]:
    """One report per SignerInfo of a regular signature field."""
    emb = sig.embedded
    data = from_signed_data(emb.signed_data, parsed=engine.parsed).merged(dss)
    container = tuple(_container_checks(emb, changes))
    content_digest: ImprintFor = _byte_range_digest(emb)
    expected_content_type = "data"
    if sig.subfilter == SHA1_SUBFILTER:
        content_digest, sha1_check = sha1_byte_range_binding(emb)
        container = (*container, sha1_check)
    reports = []
    for index, signer_info in enumerate(sig.signer_infos, start=1):
        subject = SignerInput(
            id=sig.field_name if index == 1 else f"{sig.field_name}#{index}",
            format_prefix="PAdES",
            signed_data=emb.signed_data,
            signer_info=signer_info,
            content_digest=content_digest,
            data=data.merged(_adobe_revinfo(signer_info)),
            expected_content_type=expected_content_type,
            proofs_of_existence=tuple(covering),
            has_long_term_data=data.has_revocation_data,
            has_archive_timestamp=bool(covering) and dss.has_revocation_data,
            extra_checks=container,
            claimed_signing_time=emb.self_reported_timestamp,
        )
        try:
            report = await validate_signer(subject, engine)
        except MemoryError:
            raise  # the memory budget's to report, not a signature's
        except Exception as exc:
            # One SignerInfo's failure does not spoil the others of the same field.
            logger.error("verifying PDF signature %s failed", subject.id, exc_info=exc)
            report = error_report(subject.id, "PAdES-BASELINE-B", engine.validation_time, exc)
        if sig.subfilter == SHA1_SUBFILTER:
            report = _sha1_policy(report)
        reports.append(report)
    return reports


def sha1_byte_range_binding(emb: EmbeddedPdfSignature) -> tuple[ImprintFor, Check]:
    """adbe.pkcs7.sha1: the CMS signs an encapsulated SHA-1 digest of the byte range.

    The signer's message digest covers the encapsulated octets, so that is the content
    the CMS validation checks; the encapsulated digest must itself equal SHA-1 of the
    byte range, or the PDF's signed bytes are not what was signed.
    """
    encapsulated = emb.signed_data["encap_content_info"]["content"]
    octets = b"" if encapsulated in (None, core.VOID) else bytes(encapsulated.native or b"")
    if octets == emb.compute_digest("sha1"):
        check = Check(
            "byte_range_digest",
            CheckOutcome.PASSED,
            "the encapsulated SHA-1 digest matches the byte range",
        )
    else:
        check = Check(
            "byte_range_digest",
            CheckOutcome.FAILED,
            "the encapsulated SHA-1 digest (adbe.pkcs7.sha1) does not match the byte range",
        )
    return digest_imprint(octets), check


def _sha1_policy(report: SignatureReport) -> SignatureReport:
    """An intact adbe.pkcs7.sha1 signature still rests on SHA-1, which the policy refuses."""
    if "sha1" in ALLOWED_DIGESTS or report.indication is Indication.TOTAL_FAILED:
        return report
    check = Check(
        "algorithms",
        CheckOutcome.INDETERMINATE,
        "algorithm policy: the byte range is bound to the signature by a SHA-1 digest "
        "(SubFilter adbe.pkcs7.sha1), which is not allowed",
    )
    return dataclasses.replace(
        report,
        indication=Indication.INDETERMINATE,
        sub_indication=SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
        qualification=Qualification.NA,
        checks=(*report.checks, check),
    )


def _timestamp_only(
    sig: PdfSignature, ts: TimestampResult, changes: DocumentChanges, engine: Engine
) -> SignatureReport:
    """The entry for a document time-stamp in a PDF that carries no signature at all."""
    try:
        container = _container_checks(sig.embedded, changes)
    except MemoryError:
        raise  # the memory budget's to report, not a signature's
    except Exception as exc:
        logger.error("checking PDF document time-stamp %s failed", sig.field_name, exc_info=exc)
        return error_report(sig.field_name, DOCUMENT_TIMESTAMP_FORMAT, engine.validation_time, exc)
    decisive = next((c for c in container if c.outcome is not CheckOutcome.PASSED), None)
    if decisive is not None:
        # A byte range that misses its revision is HASH_FAILURE; a container check that
        # carries its own verdict (a modification after time-stamping) decides it.
        if isinstance(decisive, ContainerCheck):
            indication, sub = decisive.indication, decisive.sub_indication
        else:
            indication, sub = Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE
        return unevaluated_report(
            sig.field_name,
            DOCUMENT_TIMESTAMP_FORMAT,
            engine.validation_time,
            indication=indication,
            sub_indication=sub,
            message=decisive.message,
            check=decisive.name,
        )
    if ts.info.indication is Indication.TOTAL_FAILED:
        indication, sub = Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE
        message = f"the document time-stamp is broken: {ts.info.message}"
        outcome = CheckOutcome.FAILED
    else:
        indication, sub = Indication.INDETERMINATE, SubIndication.SIGNED_DATA_NOT_FOUND
        message = "the PDF carries a document time-stamp but no signature"
        outcome = CheckOutcome.INDETERMINATE
    return SignatureReport(
        id=sig.field_name,
        format=DOCUMENT_TIMESTAMP_FORMAT,
        indication=indication,
        sub_indication=sub,
        qualification=Qualification.NA,
        signer=None,
        claimed_signing_time=None,
        timestamp_time=ts.time if ts.valid else None,
        best_signature_time=ts.time if ts.valid else engine.validation_time,
        certificate_chain=(),
        revocation=(),
        timestamps=(ts.info,),
        checks=(
            *container,
            Check(
                "timestamps",
                CheckOutcome.PASSED if ts.valid else CheckOutcome.INDETERMINATE,
                f"document: {ts.info.message}",
            ),
            Check("signature", outcome, message),
        ),
    )


def _unreadable(engine: Engine, sig_id: str, message: str) -> SignatureReport:
    return unevaluated_report(
        sig_id,
        "PAdES-BASELINE-B",
        engine.validation_time,
        indication=Indication.TOTAL_FAILED,
        sub_indication=SubIndication.FORMAT_FAILURE,
        message=message,
    )


def _byte_range_digest(emb: EmbeddedPdfSignature) -> ImprintFor:
    @functools.cache  # the message digest and content time-stamps may ask for the same
    def digest(algorithm: str) -> bytes:
        if dstu.is_dstu_digest(algorithm):
            return _ukrainian_byte_range_digest(emb, algorithm)
        return emb.compute_digest(algorithm)

    return digest


_BYTE_RANGE_CHUNK = 64 * 1024


def _ukrainian_byte_range_digest(emb: EmbeddedPdfSignature, algorithm: str) -> bytes:
    """The byte range's GOST 34.311 or Kupyna digest (pyHanko hashes only with pyca).

    Reads as pyHanko does, range by range in chunks; a range reaching past the end of
    the file hashes what is there, and the coverage checks say the range is malformed.
    """
    md = dstu.new_digest(algorithm)
    stream = emb.reader.stream
    bounds = [int(v) for v in emb.byte_range]
    for start, length in zip(bounds[::2], bounds[1::2], strict=False):
        stream.seek(start)
        remaining = length
        while remaining > 0:
            chunk = stream.read(min(remaining, _BYTE_RANGE_CHUNK))
            if not chunk:
                break
            md.update(chunk)
            remaining -= len(chunk)
    return md.digest()


def _container_checks(emb: EmbeddedPdfSignature, changes: DocumentChanges) -> list[Check]:
    if changes.covered_revision(emb) is None:
        # The bytes the range covers may be intact (that is for the digest to say); the
        # range itself is malformed, which EU DSS's format checking reports as
        # FORMAT_FAILURE ("Is the /ByteRange valid?").
        return [
            ContainerCheck(
                "byte_range",
                CheckOutcome.FAILED,
                "the signature's byte range does not cover the whole signed revision",
                indication=Indication.TOTAL_FAILED,
                sub_indication=SubIndication.FORMAT_FAILURE,
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
    try:
        data = dss.merged(from_signed_data(emb.signed_data, parsed=engine.parsed))
        return await validate_timestamp(
            emb.signed_data,
            kind="document",
            expected_imprint=_byte_range_digest(emb),
            data=data,
            evaluator=engine.evaluator,
            parsed=engine.parsed,
        )
    except MemoryError:
        raise  # the memory budget's to report, not a signature's
    except Exception as exc:
        # A token that cannot be evaluated proves nothing, and breaks nothing either.
        if not isinstance(exc, MALFORMED_INPUT_ERRORS):
            logger.error("validating document time-stamp %s failed", emb.field_name, exc_info=exc)
        info = TimestampInfo(
            kind="document",
            time=engine.validation_time,
            tsa="",
            indication=Indication.INDETERMINATE,
            message=f"the document time-stamp cannot be evaluated: {exc}",
        )
        return TimestampResult(info=info, time=engine.validation_time, evaluation=None)


def _adobe_revinfo(signer_info: cms.SignerInfo) -> ValidationData:
    try:
        archival = find_unique_cms_attribute(
            signer_info["signed_attrs"], "adobe_revocation_info_archival"
        )
    except (NonexistentAttributeError, MultivaluedAttributeError):
        return ValidationData()
    return ValidationData(crls=tuple(archival["crl"] or ()), ocsps=tuple(archival["ocsp"] or ()))
