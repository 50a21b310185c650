"""The checks on one CMS signer, each a step of ETSI EN 319 102-1's basic validation.

Each step records the checks it passes on the :class:`ReportBuilder` and returns the
:class:`Finding` that stops the validation, or ``None`` to go on; the order they run in
is :func:`docex.signatures.cms_signature.validate_signer`'s. What a step's finding means
as an indication is decided in :mod:`docex.signatures.verdicts`, not here.
"""

from __future__ import annotations

from asn1crypto import x509
from pyhanko.sign.validation.errors import SignatureValidationError

from docex.signatures.algorithms import check_signer_algorithms
from docex.signatures.cms_attributes import get_signing_cert_attr
from docex.signatures.digests import signer_digest_algorithm
from docex.signatures.integrity import IntegrityError, ess_binds, signer_integrity
from docex.signatures.report import Check, CheckOutcome, Qualification, SubIndication
from docex.signatures.signer_context import ReportBuilder
from docex.signatures.verdicts import Finding, StatusFacts, certificate_finding


def _no_signing_certificate(message: str) -> Finding:
    return Finding(SubIndication.NO_SIGNING_CERTIFICATE_FOUND, "signing_certificate", message)


def check_structure(b: ReportBuilder) -> Finding | None:
    """An AdES signature has signed attributes; without them it is not one."""
    if not b.subject.signer_info["signed_attrs"]:
        return Finding(
            SubIndication.FORMAT_FAILURE,
            "format",
            "the signature has no signed attributes, so it is not an AdES signature",
        )
    b.passed("format", f"{b.subject.format_prefix} signature structure")
    return None


def check_signing_certificate(b: ReportBuilder) -> x509.Certificate | Finding:
    """The signing certificate and its ESS binding (EN 319 102-1 §5.2.3).

    Without the signing-certificate attribute the signer identifier still names the
    certificate, which the signature value then binds; the missing attribute is judged
    with the signature's other attributes, after the cryptographic and certificate checks
    (:func:`check_baseline_attributes`).
    """
    cert = b.cert
    if cert is None:
        return _no_signing_certificate("the signing certificate is not included in the signature")
    try:
        ess = get_signing_cert_attr(b.subject.signer_info["signed_attrs"])
    except SignatureValidationError as exc:
        return _no_signing_certificate(exc.failure_message)
    if ess is not None:
        if not ess_binds(cert, ess["certs"][0], parsed=b.engine.parsed):
            return _no_signing_certificate(
                "the signing-certificate attribute names a different certificate than the signer's"
            )
        b.passed(
            "signing_certificate", "signing-certificate attribute binds the signer's certificate"
        )
    return cert


def check_integrity(b: ReportBuilder, cert: x509.Certificate) -> Finding | None:
    """The message digest over the content, then the signature value."""
    s = b.subject
    digest_algorithm = signer_digest_algorithm(s.signer_info)
    try:
        actual_digest = s.content_digest(digest_algorithm)
    except ValueError:
        return Finding(
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            "algorithms",
            f"digest algorithm {digest_algorithm} is not supported",
        )
    try:
        intact, valid = signer_integrity(
            s.signer_info,
            cert,
            expected_content_type=s.expected_content_type,
            content_digest=actual_digest,
        )
    except IntegrityError as exc:
        return Finding(SubIndication(exc.sub_indication), "signature_value", str(exc))
    except Exception as exc:  # unsupported key or signature algorithms raise many types
        return Finding(
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            "signature_value",
            f"the signature algorithm cannot be evaluated: {exc}",
        )
    if not intact:
        return Finding(
            SubIndication.HASH_FAILURE,
            "message_digest",
            "the signed content does not match the message digest in the signature",
        )
    b.passed("message_digest", "the message digest matches the signed content")
    if not valid:
        return Finding(
            SubIndication.SIG_CRYPTO_FAILURE,
            "signature_value",
            "the signature value does not verify with the signer's public key",
        )
    b.passed("signature_value", "the signature value verifies with the signer's public key")
    return None


def check_algorithms(b: ReportBuilder, cert: x509.Certificate) -> Finding | None:
    """The digest, signature and key algorithms against docex's algorithm policy."""
    signer_info = b.subject.signer_info
    algorithms = check_signer_algorithms(signer_info, cert.public_key)
    if not algorithms.acceptable:
        return Finding(
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            "algorithms",
            f"algorithm policy: {algorithms.message}",
        )
    digest_algorithm = signer_digest_algorithm(signer_info)
    b.passed("algorithms", f"algorithms are acceptable ({digest_algorithm}, {algorithms.message})")
    return None


async def check_certificate(b: ReportBuilder, cert: x509.Certificate) -> Finding | None:
    """The certificate path with revocation, at the best signature time."""
    engine = b.engine
    at = b.best_time or engine.validation_time
    evaluation = await engine.evaluator.evaluate(cert, data=b.data, at=at, purpose="signature")
    b.evaluation = evaluation
    facts = StatusFacts(
        evaluation=evaluation,
        cert=cert,
        at=at,
        claimed_time=b.claimed_time,
        has_poe=b.timestamp_time is not None,
    )
    finding = certificate_finding(facts)
    if finding is not None:
        return finding
    b.passed(
        "certificate_path",
        f"the certificate path to {evaluation.path[-1].subject.human_friendly} "
        f"is valid at {at.isoformat()}",
    )
    b.passed("revocation", "revocation data shows the certificates were not revoked")
    return None


def check_key_usage(b: ReportBuilder, cert: x509.Certificate) -> Finding | None:
    """The signing certificate's key usage allows signatures."""
    usage = cert.key_usage_value
    usages = set(usage.native) if usage is not None else set()
    if not usages & {"digital_signature", "non_repudiation"}:
        return Finding(
            SubIndication.CHAIN_CONSTRAINTS_FAILURE,
            "key_usage",
            "the signing certificate's key usage does not allow signatures",
        )
    b.passed("key_usage", f"key usage: {', '.join(sorted(usages))}")
    return None


def check_baseline_attributes(b: ReportBuilder) -> Finding | None:
    """A baseline signature carries the signing-certificate attribute.

    EU DSS (Signature Acceptance Validation, BBB_ICS_ISASCP, FAIL in its default policy):
    INDETERMINATE/SIG_CONSTRAINTS_FAILURE, and the format is not even BES.
    """
    if b.has_ess:
        return None
    return Finding(
        SubIndication.SIG_CONSTRAINTS_FAILURE,
        "signing_certificate",
        "format not baseline: the signing-certificate attribute is missing "
        "(ETSI EN 319 122-1 requires signing-certificate-v2)",
    )


def assess_qualification(b: ReportBuilder) -> Qualification:
    """The qualification path validation established, recorded as a check."""
    qualified = b.evaluation.qualification if b.evaluation is not None else None
    if qualified is None:
        qualification = Qualification.NA
        message = "no validation path to assess qualification"
    else:
        qualification = qualified.qualification
        message = qualified.message
    b.checks.append(
        Check(
            "qualification",
            CheckOutcome.PASSED if qualification.is_qualified else CheckOutcome.FAILED,
            message,
        )
    )
    return qualification
