"""From what a step found to an ETSI verdict: the rules in one place.

Two rules live here and nowhere else:

* which sub-indications make a signature ``TOTAL_FAILED`` and which leave it
  ``INDETERMINATE`` (:func:`indication_for`, ETSI EN 319 102-1 clause 5.1.3): a failure is
  proven only when the signature itself is shown to be wrong (its format, its digest, its
  value, or a certificate revoked or not yet valid when it was made); everything else
  means docex could not conclude;
* what each certificate status (:class:`~docex.signatures.paths.CertStatus`) from path
  validation means for the signature (:data:`STATUS_FINDINGS`, :func:`certificate_finding`).

A :class:`Finding` is the deciding check of a signature that does not pass: the
sub-indication, the check it is reported under and a message a person can read. Its
indication is derived, never stated, so no step can pair them differently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from asn1crypto import x509

from docex.signatures.paths import CertEvaluation, CertStatus
from docex.signatures.report import CheckOutcome, Indication, SubIndication

FAILED_SUBINDICATIONS = frozenset(
    {
        SubIndication.FORMAT_FAILURE,
        SubIndication.HASH_FAILURE,
        SubIndication.SIG_CRYPTO_FAILURE,
        SubIndication.REVOKED,
        SubIndication.EXPIRED,
        SubIndication.NOT_YET_VALID,
    }
)
"""The sub-indications that go with ``TOTAL_FAILED``; every other one is ``INDETERMINATE``."""


def indication_for(sub: SubIndication) -> Indication:
    """The indication a signature that did not pass for reason ``sub`` has."""
    return Indication.TOTAL_FAILED if sub in FAILED_SUBINDICATIONS else Indication.INDETERMINATE


def outcome_for(indication: Indication) -> CheckOutcome:
    """The outcome of the check that decided ``indication``."""
    return _OUTCOMES[indication]


_OUTCOMES = {
    Indication.TOTAL_PASSED: CheckOutcome.PASSED,
    Indication.TOTAL_FAILED: CheckOutcome.FAILED,
    Indication.INDETERMINATE: CheckOutcome.INDETERMINATE,
}


@dataclass(frozen=True)
class Finding:
    """Why a signature does not pass: the deciding check of its report."""

    sub_indication: SubIndication
    check: str
    """The name of the check the finding is reported under."""
    message: str

    @property
    def indication(self) -> Indication:
        """``TOTAL_FAILED`` or ``INDETERMINATE``, by :func:`indication_for`."""
        return indication_for(self.sub_indication)


@dataclass(frozen=True)
class StatusFacts:
    """What the certificate finding is made from: path validation and the signature's times."""

    evaluation: CertEvaluation
    cert: x509.Certificate
    at: datetime
    """The time the certificate was validated at (the best signature time)."""
    claimed_time: datetime | None
    """The signer's claimed signing time, if any."""
    has_poe: bool
    """Whether a time-stamp proves the signature existed at ``at``."""


def _revoked(facts: StatusFacts) -> Finding:
    revoked_at = facts.evaluation.revocation_time
    claimed = facts.claimed_time
    if revoked_at is not None and claimed is not None and claimed >= revoked_at:
        # The signer itself dates the signature after the revocation: no proof of
        # existence could save it, so this is a proven failure.
        return Finding(
            SubIndication.REVOKED,
            "revocation",
            f"the signing certificate was revoked at {revoked_at.isoformat()}, "
            f"before the claimed signing time {claimed.isoformat()}",
        )
    return Finding(
        SubIndication.REVOKED_NO_POE,
        "revocation",
        f"the signing certificate is revoked ({facts.evaluation.message}) and nothing proves "
        "the signature was made before that",
    )


def _not_yet_valid(facts: StatusFacts) -> Finding:
    return Finding(
        SubIndication.NOT_YET_VALID,
        "validity",
        f"the signature is dated before the signing certificate was valid "
        f"(from {facts.cert.not_valid_before.isoformat()})",
    )


def _expired(facts: StatusFacts) -> Finding:
    when = (
        "at the proven signing time" if facts.has_poe else "now, and no time-stamp proves earlier"
    )
    return Finding(
        SubIndication.OUT_OF_BOUNDS_NO_POE,
        "validity",
        f"the signing certificate expired {facts.cert.not_valid_after.isoformat()}; it is "
        f"out of its validity {when}",
    )


def _as_reported(sub: SubIndication, check: str) -> Callable[[StatusFacts], Finding]:
    """A finding that passes path validation's own message on."""
    return lambda facts: Finding(sub, check, facts.evaluation.message)


STATUS_FINDINGS: Mapping[CertStatus, Callable[[StatusFacts], Finding]] = MappingProxyType(
    {
        CertStatus.REVOKED: _revoked,
        CertStatus.CA_REVOKED: _as_reported(SubIndication.REVOKED_CA_NO_POE, "revocation"),
        CertStatus.NOT_YET_VALID: _not_yet_valid,
        CertStatus.EXPIRED: _expired,
        CertStatus.NO_CHAIN: lambda facts: Finding(
            SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
            "certificate_path",
            "the signing certificate does not chain to a configured trust anchor",
        ),
        CertStatus.NO_REVOCATION_DATA: lambda facts: Finding(
            SubIndication.TRY_LATER,
            "revocation",
            "no usable revocation data (OCSP or CRL) for the signing certificate's path at "
            f"{facts.at.isoformat()}: {facts.evaluation.message}",
        ),
        CertStatus.WEAK_ALGORITHM: _as_reported(
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE, "certificate_path"
        ),
        CertStatus.INVALID: _as_reported(
            SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE, "certificate_path"
        ),
        CertStatus.BOUND_EXCEEDED: _as_reported(
            SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE, "certificate_path"
        ),
    }
)
"""What each certificate status other than ``OK`` means for the signature."""


def effective_status(facts: StatusFacts) -> CertStatus:
    """The certificate's status at the signing time, as the signature's times decide it.

    pyhanko-certvalidator does not check a trust anchor's own validity period, and a
    signing certificate can be an anchor (a self-signed key, or a trust folder that lists
    it): its validity at ``at`` is checked here in every case. A claimed signing time before
    the certificate's validity makes it not yet valid whatever else path validation said,
    revocation aside (a revoked certificate is reported as such first).
    """
    cert, status = facts.cert, facts.evaluation.status
    if status is CertStatus.OK:
        if facts.at > cert.not_valid_after:
            status = CertStatus.EXPIRED
        elif facts.at < cert.not_valid_before:
            status = CertStatus.NOT_YET_VALID
    if status in (CertStatus.REVOKED, CertStatus.CA_REVOKED):
        return status
    if facts.claimed_time is not None and facts.claimed_time < cert.not_valid_before:
        return CertStatus.NOT_YET_VALID
    return status


def certificate_finding(facts: StatusFacts) -> Finding | None:
    """Why the signing certificate's status makes the signature fail; ``None`` when it is OK."""
    status = effective_status(facts)
    if status is CertStatus.OK:
        return None
    return STATUS_FINDINGS[status](facts)
