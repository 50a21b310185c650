"""Validation of one CMS signer: the part CAdES and PAdES share.

The order follows ETSI EN 319 102-1: identify the signing certificate (ESS binding),
check integrity and the signature value, the algorithms, the time-stamps and the best
signature time they prove, then the certificate path with revocation at that time, and
finally qualification. The first failing step decides the indication; every step leaves a
check in the report.

What the signature *says* (who the certificate named by the signer identifier belongs
to, the claimed signing time, its time-stamps, the level its structure reaches, the
certificate chain) is gathered first and independently of the checks, so that a report
on a failed signature still describes it.

Validation time semantics (``docex verify --at T``): evidence that did not exist at ``T``
is not used. A time-stamp generated after ``T`` proves nothing at ``T``; revocation data
issued after ``T`` (OCSP ``producedAt``, CRL ``thisUpdate``) embedded in the signature is
set aside; and a signature dated after ``T`` (by its claimed signing time, or by a content
time-stamp it signs) cannot pass as of ``T``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from asn1crypto import cms, crl, ocsp, x509
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import extract_self_reported_ts, get_signing_cert_attr

from docex.signatures.algorithms import check_signer_algorithms
from docex.signatures.digests import signer_digest_algorithm
from docex.signatures.evidence import ValidationData
from docex.signatures.identity import certificate_info, signer_identity
from docex.signatures.integrity import (
    IntegrityError,
    ess_binds,
    find_certificate,
    signer_integrity,
)
from docex.signatures.parsed import ParsedCache
from docex.signatures.paths import CertEvaluation, CertificateEvaluator, CertStatus
from docex.signatures.report import (
    Check,
    CheckOutcome,
    Indication,
    Qualification,
    SignatureReport,
    SubIndication,
    TimestampInfo,
)
from docex.signatures.timestamps import (
    ImprintFor,
    TimestampResult,
    as_of,
    digest_imprint,
    validate_timestamp,
)
from docex.signatures.trust import TrustStore

CLOCK_SKEW = timedelta(minutes=5)
"""How far a signer's or a responder's clock may run ahead of ours without consequence.

A signature validated "now" whose claimed signing time, or whose embedded OCSP response, is
a minute in the future is the work of a fast clock, not of a signature from the future.
Proof of existence is never stretched by it: a time-stamp proves existence at its time only.
"""

NOT_BASELINE_FORMAT = {"CAdES": "CMS-NOT-ETSI", "PAdES": "PDF-NOT-ETSI"}
"""The format of a signature that is not even an ETSI BES one, as EU DSS names it."""


@dataclass(frozen=True)
class Engine:
    """What every signature validation needs: trust, the certificate evaluator, the time."""

    trust: TrustStore
    evaluator: CertificateEvaluator
    validation_time: datetime
    parsed: ParsedCache | None = None
    """The calling thread's cache of parsed embedded certificates and revocation data."""


@dataclass(frozen=True)
class ContainerCheck(Check):
    """A container check that decides its own verdict when it does not pass.

    A plain :class:`Check` among the container checks that fails means the signed bytes
    are not what the container presents as signed (``HASH_FAILURE``); a PDF modified after
    signing is a ``FORMAT_FAILURE`` instead, and an analysis that could not finish is
    ``INDETERMINATE``.
    """

    indication: Indication = Indication.TOTAL_FAILED
    sub_indication: SubIndication = SubIndication.HASH_FAILURE


@dataclass(frozen=True)
class SignerInput:
    """One CMS signer to validate, with what the container format knows about it."""

    id: str
    format_prefix: str
    """``CAdES`` or ``PAdES``."""
    signed_data: cms.SignedData
    signer_info: cms.SignerInfo
    content_digest: ImprintFor
    """The digest of the signed content for a given algorithm name."""
    data: ValidationData
    expected_content_type: str = "data"
    proofs_of_existence: Sequence[TimestampResult] = ()
    """Time-stamps from the container (PDF document time-stamps) that cover this signature."""
    has_long_term_data: bool = False
    has_archive_timestamp: bool = False
    extra_checks: Sequence[Check] = ()
    """Container checks already made (PDF byte range, modifications), in order."""
    claimed_signing_time: datetime | None = None
    """The signer's claimed time from the container (PDF ``/M``), when CMS has none."""


@dataclass
class _Builder:
    """Collects facts and checks while a validation proceeds; makes the report at the end."""

    subject: SignerInput
    engine: Engine
    data: ValidationData
    """The subject's validation data, less what did not exist yet at the validation time."""
    checks: list[Check] = field(default_factory=list)
    cert: x509.Certificate | None = None
    timestamps: list[TimestampInfo] = field(default_factory=list)
    content_timestamps: list[TimestampResult] = field(default_factory=list)
    signature_timestamps: list[TimestampResult] = field(default_factory=list)
    document_timestamps: list[TimestampResult] = field(default_factory=list)
    malformed_timestamp: Exception | None = None
    has_ess: bool = True
    claimed_time: datetime | None = None
    timestamp_time: datetime | None = None
    best_time: datetime | None = None
    evaluation: CertEvaluation | None = None
    level: str = "B"

    def passed(self, name: str, message: str) -> None:
        self.checks.append(Check(name, CheckOutcome.PASSED, message))

    @property
    def format(self) -> str:
        prefix = self.subject.format_prefix
        if not self.has_ess:
            return NOT_BASELINE_FORMAT.get(prefix, f"{prefix}-NOT-ETSI")
        return f"{prefix}-BASELINE-{self.level}"

    def verdict(
        self,
        indication: Indication,
        sub: SubIndication | None,
        name: str,
        message: str,
        qualification: Qualification = Qualification.NA,
        *,
        record: bool = True,
    ) -> SignatureReport:
        # ``record=False``: the deciding check is already in the list (a container check).
        if record:
            outcome = {
                Indication.TOTAL_PASSED: CheckOutcome.PASSED,
                Indication.TOTAL_FAILED: CheckOutcome.FAILED,
                Indication.INDETERMINATE: CheckOutcome.INDETERMINATE,
            }[indication]
            self.checks.append(Check(name, outcome, message))
        path = self.evaluation.path if self.evaluation else ()
        chain = path or ((self.cert,) if self.cert is not None else ())
        return SignatureReport(
            id=self.subject.id,
            format=self.format,
            indication=indication,
            sub_indication=sub,
            qualification=qualification,
            signer=signer_identity(self.cert) if self.cert is not None else None,
            claimed_signing_time=self.claimed_time,
            timestamp_time=self.timestamp_time,
            best_signature_time=self.best_time or self.engine.validation_time,
            certificate_chain=tuple(certificate_info(c) for c in chain),
            revocation=self.evaluation.revocation if self.evaluation else (),
            timestamps=tuple(self.timestamps),
            checks=tuple(self.checks),
        )


async def validate_signer(subject: SignerInput, engine: Engine) -> SignatureReport:
    """Validate one CMS signer and report on it."""
    b = _Builder(subject, engine, data=available_at(subject.data, engine.validation_time))
    await _describe(b)
    # Reports carry plain checks; a ContainerCheck's verdict is used here only.
    b.checks.extend(Check(c.name, c.outcome, c.message) for c in subject.extra_checks)
    for check in subject.extra_checks:
        if isinstance(check, ContainerCheck) and check.outcome is not CheckOutcome.PASSED:
            ind, sub = check.indication, check.sub_indication
            report = b.verdict(ind, sub, check.name, check.message, record=False)
            return await _with_chain(b, report)
        if check.outcome is CheckOutcome.FAILED:
            # The signed bytes are not what the container presents as signed.
            sub = SubIndication.HASH_FAILURE
            report = b.verdict(
                Indication.TOTAL_FAILED, sub, check.name, check.message, record=False
            )
            return await _with_chain(b, report)
    try:
        report = await _validate(b)
    except (ValueError, TypeError, KeyError, NotImplementedError) as exc:
        # asn1crypto parses lazily: malformed inner structures surface here.
        report = b.verdict(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            "format",
            f"malformed signature structure: {exc}",
        )
    if report.indication is not Indication.TOTAL_PASSED:
        report = await _with_chain(b, report)
    return report


async def _describe(b: _Builder) -> None:
    """Gather what the signature says about itself, whichever check will fail first.

    Each fact is read on its own: a malformed part leaves that fact unknown (the checks
    report it) without hiding the others.
    """
    s = b.subject
    signer_info = s.signer_info
    try:
        b.claimed_time = extract_self_reported_ts(signer_info) or s.claimed_signing_time
    except (ValueError, TypeError, KeyError, SignatureValidationError):
        b.claimed_time = s.claimed_signing_time
    try:
        b.cert = find_certificate(signer_info["sid"], list(s.data.certs))
    except (ValueError, TypeError, KeyError):
        b.cert = None
    try:
        attr_types = {a["type"].native for a in signer_info["signed_attrs"] or ()}
    except (ValueError, TypeError, KeyError):
        attr_types = set()
    b.has_ess = bool(attr_types & {"signing_certificate", "signing_certificate_v2"})
    try:
        await _collect_timestamps(b)
    except (ValueError, TypeError, KeyError, NotImplementedError) as exc:
        b.malformed_timestamp = exc
    b.level = _level(b)
    proven = [ts.time for ts in (*b.signature_timestamps, *b.document_timestamps) if ts.valid]
    b.timestamp_time = min(proven) if proven else None
    b.best_time = b.timestamp_time or b.engine.validation_time


async def _collect_timestamps(b: _Builder) -> None:
    s, engine = b.subject, b.engine
    signer_info = s.signer_info
    at = engine.validation_time
    for attr in signer_info["signed_attrs"] or ():
        if attr["type"].native == "content_time_stamp":
            for token in attr["values"]:
                ts = await validate_timestamp(
                    token["content"],
                    kind="content",
                    expected_imprint=s.content_digest,
                    data=b.data,
                    evaluator=engine.evaluator,
                    parsed=engine.parsed,
                )
                b.content_timestamps.append(as_of(ts, at))
    signature_value = signer_info["signature"].native
    for attr in signer_info["unsigned_attrs"] or ():
        if attr["type"].native == "signature_time_stamp_token":
            for token in attr["values"]:
                ts = await validate_timestamp(
                    token["content"],
                    kind="signature",
                    expected_imprint=digest_imprint(signature_value),
                    data=b.data,
                    evaluator=engine.evaluator,
                    parsed=engine.parsed,
                )
                b.signature_timestamps.append(as_of(ts, at))
    b.document_timestamps = [as_of(poe, at) for poe in s.proofs_of_existence]
    b.timestamps = [
        ts.info for ts in (*b.content_timestamps, *b.signature_timestamps, *b.document_timestamps)
    ]


def _level(b: _Builder) -> str:
    """The baseline level the structure reaches; a broken time-stamp claims nothing."""
    if not any(not ts.broken for ts in b.signature_timestamps):
        return "B"
    if not b.subject.has_long_term_data:
        return "T"
    archived = b.subject.has_archive_timestamp and any(
        not ts.broken for ts in b.document_timestamps
    )
    return "LTA" if archived else "LT"


async def _with_chain(b: _Builder, report: SignatureReport) -> SignatureReport:
    """A failed report still names the signer's certificate chain, where one can be built."""
    if b.evaluation is not None or b.cert is None:
        return report
    try:
        evaluation = await b.engine.evaluator.evaluate(
            b.cert,
            data=b.data,
            at=b.best_time or b.engine.validation_time,
            purpose="signature",
        )
    except Exception:  # describing a failed signature must never fail the validation
        return report
    if not evaluation.path:
        return replace(report, revocation=evaluation.revocation)
    return replace(
        report,
        certificate_chain=tuple(certificate_info(c) for c in evaluation.path),
        revocation=evaluation.revocation,
    )


def available_at(data: ValidationData, at: datetime) -> ValidationData:
    """``data`` less the revocation data issued after ``at`` (and the clock skew).

    Validating as of a past time must not use an OCSP response produced, or a CRL issued,
    later: at that time it did not exist. The same object comes back when nothing is set
    aside, so that caches keyed on it keep working.
    """
    limit = at + CLOCK_SKEW
    crls = tuple(c for c in data.crls if _crl_issued(c) <= limit)
    ocsps = tuple(o for o in data.ocsps if (_ocsp_produced(o) or at) <= limit)
    if len(crls) == len(data.crls) and len(ocsps) == len(data.ocsps):
        return data
    return ValidationData(certs=data.certs, crls=crls, ocsps=ocsps, source=data.source)


def _crl_issued(item: crl.CertificateList) -> datetime:
    issued: datetime = item["tbs_cert_list"]["this_update"].native
    return issued


def _ocsp_produced(item: ocsp.OCSPResponse) -> datetime | None:
    try:
        basic = item["response_bytes"]["response"].parsed
        produced: datetime = basic["tbs_response_data"]["produced_at"].native
    except (ValueError, TypeError, KeyError, AttributeError):
        # Not a basic response with a time (or not parsable): certvalidator judges it.
        return None
    return produced


async def _validate(b: _Builder) -> SignatureReport:
    s = b.subject
    signer_info = s.signer_info
    signed_attrs = signer_info["signed_attrs"]
    if not signed_attrs:
        return b.verdict(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            "format",
            "the signature has no signed attributes, so it is not an AdES signature",
        )
    b.passed("format", f"{s.format_prefix} signature structure")

    # Identify the signing certificate and its ESS binding (EN 319 102-1 §5.2.3).
    cert = b.cert
    if cert is None:
        return b.verdict(
            Indication.INDETERMINATE,
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "signing_certificate",
            "the signing certificate is not included in the signature",
        )
    try:
        ess = get_signing_cert_attr(signed_attrs)
    except SignatureValidationError as exc:
        return b.verdict(
            Indication.INDETERMINATE,
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "signing_certificate",
            exc.failure_message,
        )
    if ess is not None:
        if not ess_binds(cert, ess["certs"][0], parsed=b.engine.parsed):
            return b.verdict(
                Indication.INDETERMINATE,
                SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
                "signing_certificate",
                "the signing-certificate attribute names a different certificate than the signer's",
            )
        b.passed(
            "signing_certificate", "signing-certificate attribute binds the signer's certificate"
        )
    # Without the attribute the signer identifier still names the certificate, which the
    # signature value then binds; the missing attribute is judged with the signature's
    # other attributes, after the cryptographic and certificate checks (see _certificate).

    # Integrity: message digest over the content, then the signature value.
    digest_algorithm = signer_digest_algorithm(signer_info)
    try:
        actual_digest = s.content_digest(digest_algorithm)
    except ValueError:
        return b.verdict(
            Indication.INDETERMINATE,
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            "algorithms",
            f"digest algorithm {digest_algorithm} is not supported",
        )
    try:
        intact, valid = signer_integrity(
            signer_info,
            cert,
            expected_content_type=s.expected_content_type,
            content_digest=actual_digest,
        )
    except IntegrityError as exc:
        sub = SubIndication(exc.sub_indication)
        indication = (
            Indication.TOTAL_FAILED if sub in _FAILED_SUBINDICATIONS else Indication.INDETERMINATE
        )
        return b.verdict(indication, sub, "signature_value", str(exc))
    except Exception as exc:  # unsupported key or signature algorithms raise many types
        return b.verdict(
            Indication.INDETERMINATE,
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            "signature_value",
            f"the signature algorithm cannot be evaluated: {exc}",
        )
    if not intact:
        return b.verdict(
            Indication.TOTAL_FAILED,
            SubIndication.HASH_FAILURE,
            "message_digest",
            "the signed content does not match the message digest in the signature",
        )
    b.passed("message_digest", "the message digest matches the signed content")
    if not valid:
        return b.verdict(
            Indication.TOTAL_FAILED,
            SubIndication.SIG_CRYPTO_FAILURE,
            "signature_value",
            "the signature value does not verify with the signer's public key",
        )
    b.passed("signature_value", "the signature value verifies with the signer's public key")

    algorithms = check_signer_algorithms(signer_info, cert.public_key)
    if not algorithms.acceptable:
        return b.verdict(
            Indication.INDETERMINATE,
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            "algorithms",
            f"algorithm policy: {algorithms.message}",
        )
    b.passed("algorithms", f"algorithms are acceptable ({digest_algorithm}, {algorithms.message})")

    if b.malformed_timestamp is not None:
        raise b.malformed_timestamp
    failure = _timestamps(b) or _dated_after_validation_time(b)
    if failure is not None:
        return failure
    return await _certificate(b, cert)


def _timestamps(b: _Builder) -> SignatureReport | None:
    """Take the time-stamps that prove something as proof of existence (EN 319 102-1 §5.5.4).

    A broken one is reported and ignored, as is one that does not exist yet at the
    validation time: neither makes the signature fail, and the signature then stands on
    what else it has.
    """
    engine = b.engine
    for ts in (*b.content_timestamps, *b.signature_timestamps, *b.document_timestamps):
        info = ts.info
        if ts.broken:
            b.checks.append(
                Check(
                    "timestamps",
                    CheckOutcome.FAILED,
                    f"a {info.kind} time-stamp is broken and is ignored: {info.message}",
                )
            )
        elif info.indication is Indication.INDETERMINATE:
            b.checks.append(
                Check("timestamps", CheckOutcome.INDETERMINATE, f"{info.kind}: {info.message}")
            )
    proven = [ts.time for ts in (*b.signature_timestamps, *b.document_timestamps) if ts.valid]
    content_times = [ts.time for ts in b.content_timestamps if ts.valid]
    if proven:
        b.timestamp_time = min(proven)
        if content_times and min(content_times) > b.timestamp_time:
            return b.verdict(
                Indication.INDETERMINATE,
                SubIndication.TIMESTAMP_ORDER_FAILURE,
                "timestamps",
                "the content time-stamp is later than the signature time-stamp",
            )
        b.passed(
            "timestamps",
            f"a time-stamp proves the signature existed at {b.timestamp_time.isoformat()}",
        )
    b.best_time = b.timestamp_time or engine.validation_time
    return None


def _dated_after_validation_time(b: _Builder) -> SignatureReport | None:
    """A signature dated after the validation time cannot pass as of that time.

    Its claimed signing time says so, and an intact content time-stamp proves it (the
    signature signs the token, so it was made after the token's time). ETSI EN 319 102-1
    has no sub-indication for this and EU DSS no check of its own; docex reports
    INDETERMINATE/NO_POE: nothing proves the signature existed at the validation time.
    """
    at = b.engine.validation_time
    limit = at + CLOCK_SKEW
    reasons = []
    if b.claimed_time is not None and b.claimed_time > limit:
        reasons.append(f"its claimed signing time is {b.claimed_time.isoformat()}")
    later = [ts.time for ts in b.content_timestamps if not ts.broken and ts.time > limit]
    if later:
        reasons.append(f"its content time-stamp is dated {min(later).isoformat()}")
    if not reasons:
        return None
    return b.verdict(
        Indication.INDETERMINATE,
        SubIndication.NO_POE,
        "signing_time",
        f"the signature is dated after the validation time {at.isoformat()} "
        f"({'; '.join(reasons)}): nothing proves it existed then",
    )


async def _certificate(b: _Builder, cert: x509.Certificate) -> SignatureReport:
    engine = b.engine
    at = b.best_time or engine.validation_time
    evaluation = await engine.evaluator.evaluate(cert, data=b.data, at=at, purpose="signature")
    b.evaluation = evaluation
    has_poe = b.timestamp_time is not None
    status = evaluation.status
    if status is CertStatus.OK:
        # pyhanko-certvalidator does not check a trust anchor's own validity period, and a
        # signing certificate can be an anchor (a self-signed key, or a trust folder that
        # lists it): its validity at the signing time is checked here in every case.
        if at > cert.not_valid_after:
            status = CertStatus.EXPIRED
        elif at < cert.not_valid_before:
            status = CertStatus.NOT_YET_VALID
    if status is CertStatus.REVOKED:
        revoked_at = evaluation.revocation_time
        claimed = b.claimed_time
        if revoked_at is not None and claimed is not None and claimed >= revoked_at:
            return b.verdict(
                Indication.TOTAL_FAILED,
                SubIndication.REVOKED,
                "revocation",
                f"the signing certificate was revoked at {revoked_at.isoformat()}, "
                f"before the claimed signing time {claimed.isoformat()}",
            )
        return b.verdict(
            Indication.INDETERMINATE,
            SubIndication.REVOKED_NO_POE,
            "revocation",
            f"the signing certificate is revoked ({evaluation.message}) and nothing proves "
            "the signature was made before that",
        )
    if status is CertStatus.CA_REVOKED:
        return b.verdict(
            Indication.INDETERMINATE,
            SubIndication.REVOKED_CA_NO_POE,
            "revocation",
            evaluation.message,
        )
    if status is CertStatus.NOT_YET_VALID or (
        b.claimed_time is not None and b.claimed_time < cert.not_valid_before
    ):
        return b.verdict(
            Indication.TOTAL_FAILED,
            SubIndication.NOT_YET_VALID,
            "validity",
            f"the signature is dated before the signing certificate was valid "
            f"(from {cert.not_valid_before.isoformat()})",
        )
    if status is CertStatus.EXPIRED:
        when = "at the proven signing time" if has_poe else "now, and no time-stamp proves earlier"
        return b.verdict(
            Indication.INDETERMINATE,
            SubIndication.OUT_OF_BOUNDS_NO_POE,
            "validity",
            f"the signing certificate expired {cert.not_valid_after.isoformat()}; it is "
            f"out of its validity {when}",
        )
    if status is CertStatus.NO_CHAIN:
        return b.verdict(
            Indication.INDETERMINATE,
            SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
            "certificate_path",
            "the signing certificate does not chain to a configured trust anchor",
        )
    if status is CertStatus.NO_REVOCATION_DATA:
        return b.verdict(
            Indication.INDETERMINATE,
            SubIndication.TRY_LATER,
            "revocation",
            "no usable revocation data (OCSP or CRL) for the signing certificate's path at "
            f"{at.isoformat()}: {evaluation.message}",
        )
    if status is CertStatus.WEAK_ALGORITHM:
        return b.verdict(
            Indication.INDETERMINATE,
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            "certificate_path",
            evaluation.message,
        )
    if status is not CertStatus.OK:
        return b.verdict(
            Indication.INDETERMINATE,
            SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
            "certificate_path",
            evaluation.message,
        )
    b.passed(
        "certificate_path",
        f"the certificate path to {evaluation.path[-1].subject.human_friendly} "
        f"is valid at {at.isoformat()}",
    )
    b.passed("revocation", "revocation data shows the certificates were not revoked")
    usage = cert.key_usage_value
    usages = set(usage.native) if usage is not None else set()
    if not usages & {"digital_signature", "non_repudiation"}:
        return b.verdict(
            Indication.INDETERMINATE,
            SubIndication.CHAIN_CONSTRAINTS_FAILURE,
            "key_usage",
            "the signing certificate's key usage does not allow signatures",
        )
    b.passed("key_usage", f"key usage: {', '.join(sorted(usages))}")
    if not b.has_ess:
        # EU DSS (Signature Acceptance Validation, BBB_ICS_ISASCP, FAIL in its default
        # policy): INDETERMINATE/SIG_CONSTRAINTS_FAILURE, and the format is not even BES.
        return b.verdict(
            Indication.INDETERMINATE,
            SubIndication.SIG_CONSTRAINTS_FAILURE,
            "signing_certificate",
            "format not baseline: the signing-certificate attribute is missing "
            "(ETSI EN 319 122-1 requires signing-certificate-v2)",
        )
    if evaluation.qualification is None:
        qualification = Qualification.NA
        message = "no validation path to assess qualification"
    else:
        qualification = evaluation.qualification.qualification
        message = evaluation.qualification.message
    b.checks.append(
        Check(
            "qualification",
            CheckOutcome.PASSED if qualification.is_qualified else CheckOutcome.FAILED,
            message,
        )
    )
    return b.verdict(
        Indication.TOTAL_PASSED, None, "signature", "the signature is valid", qualification
    )


def content_type_of(signed_data: cms.SignedData) -> str:
    """The encapsulated content type name, as the content-type attribute must repeat it."""
    return str(signed_data["encap_content_info"]["content_type"].native)


_FAILED_SUBINDICATIONS = frozenset(
    {
        SubIndication.FORMAT_FAILURE,
        SubIndication.HASH_FAILURE,
        SubIndication.SIG_CRYPTO_FAILURE,
        SubIndication.REVOKED,
        SubIndication.NOT_YET_VALID,
    }
)
