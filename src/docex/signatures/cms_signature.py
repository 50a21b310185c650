"""Validation of one CMS signer: the part CAdES and PAdES share.

The order follows ETSI EN 319 102-1: identify the signing certificate (ESS binding),
check integrity and the signature value, the algorithms, the time-stamps and the best
signature time they prove, then the certificate path with revocation at that time, and
finally qualification. The first failing step decides the indication; every step leaves a
check in the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import cms, x509
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
    digest_imprint,
    validate_timestamp,
)
from docex.signatures.trust import TrustStore


@dataclass(frozen=True)
class Engine:
    """What every signature validation needs: trust, the certificate evaluator, the time."""

    trust: TrustStore
    evaluator: CertificateEvaluator
    validation_time: datetime
    parsed: ParsedCache | None = None
    """The calling thread's cache of parsed embedded certificates and revocation data."""


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
    """Collects checks while a validation proceeds; makes the report at the end."""

    subject: SignerInput
    engine: Engine
    checks: list[Check] = field(default_factory=list)
    cert: x509.Certificate | None = None
    timestamps: list[TimestampInfo] = field(default_factory=list)
    claimed_time: datetime | None = None
    timestamp_time: datetime | None = None
    best_time: datetime | None = None
    evaluation: CertEvaluation | None = None
    level: str = "B"

    def passed(self, name: str, message: str) -> None:
        self.checks.append(Check(name, CheckOutcome.PASSED, message))

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
            format=f"{self.subject.format_prefix}-BASELINE-{self.level}",
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
    b = _Builder(subject, engine)
    b.checks.extend(subject.extra_checks)
    for check in subject.extra_checks:
        if check.outcome is CheckOutcome.FAILED:
            # The signed bytes are not what the container presents as signed.
            sub = SubIndication.HASH_FAILURE
            return b.verdict(Indication.TOTAL_FAILED, sub, check.name, check.message, record=False)
    try:
        return await _validate(b)
    except (ValueError, TypeError, KeyError, NotImplementedError) as exc:
        # asn1crypto parses lazily: malformed inner structures surface here.
        return b.verdict(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            "format",
            f"malformed signature structure: {exc}",
        )


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
    b.claimed_time = extract_self_reported_ts(signer_info) or s.claimed_signing_time

    # Identify the signing certificate and its ESS binding (EN 319 102-1 §5.2.3).
    cert = find_certificate(signer_info["sid"], list(s.data.certs))
    if cert is None:
        return b.verdict(
            Indication.INDETERMINATE,
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "signing_certificate",
            "the signing certificate is not included in the signature",
        )
    b.cert = cert
    try:
        ess = get_signing_cert_attr(signed_attrs)
    except SignatureValidationError as exc:
        return b.verdict(
            Indication.INDETERMINATE,
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "signing_certificate",
            exc.failure_message,
        )
    if ess is None:
        return b.verdict(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            "signing_certificate",
            "the signing-certificate(-v2) attribute is missing (required by CAdES/PAdES)",
        )
    if not ess_binds(cert, ess["certs"][0], parsed=b.engine.parsed):
        return b.verdict(
            Indication.INDETERMINATE,
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "signing_certificate",
            "the signing-certificate attribute names a different certificate than the signer's",
        )
    b.passed("signing_certificate", "signing-certificate attribute binds the signer's certificate")

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

    failure = await _timestamps(b, signer_info)
    if failure is not None:
        return failure
    return await _certificate(b, cert)


async def _timestamps(b: _Builder, signer_info: cms.SignerInfo) -> SignatureReport | None:
    s, engine = b.subject, b.engine
    proven: list[datetime] = []
    content_times: list[datetime] = []
    for attr in signer_info["signed_attrs"]:
        if attr["type"].native == "content_time_stamp":
            for token in attr["values"]:
                ts = await validate_timestamp(
                    token["content"],
                    kind="content",
                    expected_imprint=s.content_digest,
                    data=s.data,
                    evaluator=engine.evaluator,
                    parsed=engine.parsed,
                )
                b.timestamps.append(ts.info)
                if ts.valid:
                    content_times.append(ts.time)
    signature_value = signer_info["signature"].native
    for attr in signer_info["unsigned_attrs"] or ():
        if attr["type"].native == "signature_time_stamp_token":
            for token in attr["values"]:
                ts = await validate_timestamp(
                    token["content"],
                    kind="signature",
                    expected_imprint=digest_imprint(signature_value),
                    data=s.data,
                    evaluator=engine.evaluator,
                    parsed=engine.parsed,
                )
                b.timestamps.append(ts.info)
                if ts.valid:
                    proven.append(ts.time)
    for poe in s.proofs_of_existence:
        b.timestamps.append(poe.info)
        if poe.valid:
            proven.append(poe.time)
    if any(t.kind == "signature" for t in b.timestamps):
        b.level = "T"
        if s.has_long_term_data:
            b.level = "LT"
            if s.has_archive_timestamp:
                b.level = "LTA"
    for info in b.timestamps:
        if info.indication is Indication.TOTAL_FAILED:
            return b.verdict(
                Indication.TOTAL_FAILED,
                SubIndication.HASH_FAILURE,
                "timestamps",
                f"a {info.kind} time-stamp is broken: {info.message}",
            )
        if info.indication is Indication.INDETERMINATE:
            b.checks.append(
                Check("timestamps", CheckOutcome.INDETERMINATE, f"{info.kind}: {info.message}")
            )
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


async def _certificate(b: _Builder, cert: x509.Certificate) -> SignatureReport:
    s, engine = b.subject, b.engine
    at = b.best_time or engine.validation_time
    evaluation = await engine.evaluator.evaluate(cert, data=s.data, at=at, purpose="signature")
    b.evaluation = evaluation
    has_poe = b.timestamp_time is not None
    status = evaluation.status
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
