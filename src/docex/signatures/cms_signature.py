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

Where the parts are: the steps in :mod:`docex.signatures.signer_steps`, proof of
existence and the validation-time rules in :mod:`docex.signatures.existence`, the rule
from a finding or a certificate status to an ETSI indication in
:mod:`docex.signatures.verdicts`, the input and the report being built in
:mod:`docex.signatures.signer_context`.
"""

from __future__ import annotations

from dataclasses import replace

from asn1crypto import cms
from pyhanko.sign.validation.errors import SignatureValidationError

from docex.signatures import existence, signer_steps
from docex.signatures.cms_attributes import extract_self_reported_ts
from docex.signatures.identity import certificate_info
from docex.signatures.integrity import find_certificate
from docex.signatures.report import Check, CheckOutcome, Indication, SignatureReport, SubIndication
from docex.signatures.signer_context import ContainerCheck, Engine, ReportBuilder, SignerInput
from docex.signatures.verdicts import Finding

__all__ = ["ContainerCheck", "Engine", "SignerInput", "content_type_of", "validate_signer"]


async def validate_signer(subject: SignerInput, engine: Engine) -> SignatureReport:
    """Validate one CMS signer and report on it."""
    b = ReportBuilder(
        subject, engine, data=existence.available_at(subject.data, engine.validation_time)
    )
    await _describe(b)
    # Reports carry plain checks; a ContainerCheck's verdict is used here only.
    b.checks.extend(Check(c.name, c.outcome, c.message) for c in subject.extra_checks)
    for check in subject.extra_checks:
        if isinstance(check, ContainerCheck) and check.outcome is not CheckOutcome.PASSED:
            ind, sub = check.indication, check.sub_indication
            report = b.report(ind, sub, check.name, check.message, record=False)
            return await _with_chain(b, report)
        if check.outcome is CheckOutcome.FAILED:
            # The signed bytes are not what the container presents as signed.
            sub = SubIndication.HASH_FAILURE
            report = b.report(Indication.TOTAL_FAILED, sub, check.name, check.message, record=False)
            return await _with_chain(b, report)
    try:
        report = await _validate(b)
    except (ValueError, TypeError, KeyError, NotImplementedError) as exc:
        # asn1crypto parses lazily: malformed inner structures surface here.
        report = b.failed(
            Finding(SubIndication.FORMAT_FAILURE, "format", f"malformed signature structure: {exc}")
        )
    if report.indication is not Indication.TOTAL_PASSED:
        report = await _with_chain(b, report)
    return report


async def _validate(b: ReportBuilder) -> SignatureReport:
    """The steps in order; the first finding decides the verdict."""
    finding = signer_steps.check_structure(b)
    if finding is not None:
        return b.failed(finding)
    found = signer_steps.check_signing_certificate(b)
    if isinstance(found, Finding):
        return b.failed(found)
    cert = found
    finding = signer_steps.check_integrity(b, cert) or signer_steps.check_algorithms(b, cert)
    if finding is not None:
        return b.failed(finding)
    if b.malformed_timestamp is not None:
        raise b.malformed_timestamp
    # The time-stamps set the best signature time the certificate is then validated at.
    finding = (
        existence.check_timestamps(b)
        or existence.dated_after_validation_time(b)
        or await signer_steps.check_certificate(b, cert)
        or signer_steps.check_key_usage(b, cert)
        or signer_steps.check_baseline_attributes(b)
    )
    if finding is not None:
        return b.failed(finding)
    qualification = signer_steps.assess_qualification(b)
    return b.report(
        Indication.TOTAL_PASSED, None, "signature", "the signature is valid", qualification
    )


async def _describe(b: ReportBuilder) -> None:
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
        await existence.collect_timestamps(b)
    except (ValueError, TypeError, KeyError, NotImplementedError) as exc:
        b.malformed_timestamp = exc
    b.level = existence.baseline_level(b)
    b.timestamp_time = existence.proven_time(b)
    b.best_time = b.timestamp_time or b.engine.validation_time


async def _with_chain(b: ReportBuilder, report: SignatureReport) -> SignatureReport:
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


def content_type_of(signed_data: cms.SignedData) -> str:
    """The encapsulated content type name, as the content-type attribute must repeat it."""
    return str(signed_data["encap_content_info"]["content_type"].native)
