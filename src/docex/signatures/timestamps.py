"""Time-stamp tokens (RFC 3161): imprint, TSA signature, TSA path, and the time they prove.

Which TSAs are trusted is the trust configuration's to say (:class:`~docex.signatures.trust.
TsaService`): a token whose TSA validates under an anchor but is no configured
time-stamping service proves nothing (INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND: EN 319
102-1 takes the TSA's trust anchors from the validation constraints, and these are ours).

Proof of existence (EN 319 102-1 §5.6.2.4, past signature validation applied to the
token): :func:`validate_timestamp` validates the TSA's certificate at the token's own time,
which shows it was valid and not revoked when the token was made; that alone proves nothing
about a token produced later with a compromised key and dated back. So the certificate is
validated again at the time of the token's *best proof of existence*
(:func:`confirm_at_poe`): the earliest later time-stamp that covers it and proves its own
time, or the validation time when none does. A TSA certificate revoked, or out of its
validity, at that time leaves the token unproven (``REVOKED_NO_POE``,
``REVOKED_CA_NO_POE``, ``OUT_OF_BOUNDS_NO_POE``); valid then, the token stands, even if
the certificate has expired since.

Left out: revocation status at the proof-of-existence time is read from the revocation
data available (embedded, or fetched online); when none of it is fresh at that time, the
token stands on the data issued after its own time (no later revocation is known), where
EN 319 102-1 would ask for fresh data; and the cryptographic constraints of the token's
algorithms are not re-checked at that time. Offline, the path is validated again only
when something can have changed by then (a certificate out of its validity, or a
revocation the data records): otherwise it stands as validated at the token's time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from asn1crypto import cms, core, tsp, x509
from pyhanko.sign.validation.errors import SignatureValidationError

from docex.signatures.algorithms import check_signer_algorithms
from docex.signatures.cms_attributes import get_signing_cert_attr
from docex.signatures.evidence import ValidationData, revocation_times
from docex.signatures.integrity import (
    IntegrityError,
    digest_by_name,
    encapsulated_bytes,
    ess_binds,
    find_certificate,
    signer_integrity,
)
from docex.signatures.parsed import ParsedCache
from docex.signatures.paths import CertEvaluation, CertificateEvaluator, CertStatus
from docex.signatures.report import Indication, SubIndication, TimestampInfo

ImprintFor = Callable[[str], bytes]
"""Computes the expected message imprint for a digest algorithm name."""

UNCONFIGURED_TSA = "time-stamp authority is not a configured time-stamping service"


@dataclass(frozen=True)
class TimestampResult:
    """A validated (or rejected) time-stamp token."""

    info: TimestampInfo
    time: datetime
    evaluation: CertEvaluation | None
    tsa_cert: x509.Certificate | None = None
    """The TSA's certificate, once found: :func:`confirm_at_poe` validates it again."""
    tsa_data: ValidationData | None = None
    """The validation data the TSA's certificate was validated with."""
    unconfigured_tsa: bool = False
    """The token's TSA is no configured time-stamping service: it claims no level."""

    @property
    def valid(self) -> bool:
        """The token proves its time (EN 319 102-1 §5.4 returned PASSED)."""
        return self.info.indication is Indication.TOTAL_PASSED

    @property
    def broken(self) -> bool:
        """The token does not cover what it should, or its own signature fails.

        A broken token is reported and ignored as proof of existence; it says nothing
        about the signature it is attached to (EN 319 102-1 §5.5.4 step 3: such a token
        is removed from the set of time-stamps, as EU DSS does with a warning).
        """
        return self.info.indication is Indication.TOTAL_FAILED


def as_of(result: TimestampResult, validation_time: datetime) -> TimestampResult:
    """The token as seen at ``validation_time``: one generated later does not exist yet.

    Such a token proves nothing at that time; it is reported INDETERMINATE with the reason,
    unless it is broken, which stays the stronger finding.
    """
    if result.time <= validation_time or result.broken:
        return result
    info = replace(
        result.info,
        indication=Indication.INDETERMINATE,
        message=f"generated at {result.time.isoformat()}, after the validation time "
        f"{validation_time.isoformat()}: it proves nothing as of then",
    )
    return replace(result, info=info)


def digest_imprint(data: bytes) -> ImprintFor:
    """Hash ``data`` (content or a signature value) on demand, once per digest algorithm.

    :raises ValueError: for a digest algorithm neither hashlib nor the DSTU module knows.
    """

    @functools.cache
    def imprint(algorithm: str) -> bytes:
        return digest_by_name(algorithm, data)

    return imprint


async def validate_timestamp(
    signed_data: cms.SignedData,
    *,
    kind: str,
    expected_imprint: ImprintFor,
    data: ValidationData,
    evaluator: CertificateEvaluator,
    parsed: ParsedCache | None = None,
) -> TimestampResult:
    """Validate one time-stamp token (its ``SignedData``) against the imprint it should carry.

    With ``parsed``, the token's certificates are the objects it keeps for their encodings.
    """
    tst_info = signed_data["encap_content_info"]["content"]
    if isinstance(tst_info, core.ParsableOctetString):
        tst_info = tst_info.parsed
    if not isinstance(tst_info, tsp.TSTInfo):
        raise ValueError("time-stamp token does not encapsulate TSTInfo")
    gen_time: datetime = tst_info["gen_time"].native

    def result(
        indication: Indication,
        message: str,
        tsa: str = "unknown",
        evaluation: CertEvaluation | None = None,
        *,
        sub_indication: SubIndication | None = None,
    ) -> TimestampResult:
        info = TimestampInfo(
            kind=kind,
            time=gen_time,
            tsa=tsa,
            indication=indication,
            message=message,
            sub_indication=sub_indication,
        )
        return TimestampResult(info=info, time=gen_time, evaluation=evaluation)

    imprint = tst_info["message_imprint"]
    algorithm = imprint["hash_algorithm"]["algorithm"].native
    try:
        expected = expected_imprint(algorithm)
    except ValueError:
        return result(
            Indication.INDETERMINATE, f"time-stamp imprint uses unknown digest {algorithm}"
        )
    if imprint["hashed_message"].native != expected:
        covered = "signature value" if kind == "signature" else "signed content"
        return result(
            Indication.TOTAL_FAILED,
            f"the time-stamp's message imprint does not match the {covered} (imprint mismatch)",
        )

    signer_info = signed_data["signer_infos"][0]
    token_certs = [c.chosen for c in signed_data["certificates"] or () if c.name == "certificate"]
    if parsed is not None:
        token_certs = [parsed.certificate(c) for c in token_certs]
    # A TSA certificate left out of the token (UAPKI's CAdES-T does so) may still be known:
    # among the signature's certificates, or configured as trusted.
    tsa_cert = find_certificate(
        signer_info["sid"], [*token_certs, *data.certs, *evaluator.trust.all_certificates]
    )
    if tsa_cert is None:
        return result(Indication.INDETERMINATE, "time-stamp signer certificate not found")
    tsa = tsa_cert.subject.human_friendly
    algorithms = check_signer_algorithms(signer_info, tsa_cert.public_key)
    if not algorithms.acceptable:
        return result(Indication.INDETERMINATE, f"time-stamp: {algorithms.message}", tsa)
    try:
        ess = get_signing_cert_attr(signer_info["signed_attrs"])
    except SignatureValidationError as exc:
        return result(Indication.INDETERMINATE, f"time-stamp: {exc.failure_message}", tsa)
    if ess is not None and not ess_binds(tsa_cert, ess["certs"][0], parsed=parsed):
        return result(
            Indication.INDETERMINATE,
            "time-stamp signing-certificate names another certificate",
            tsa,
        )
    encap = encapsulated_bytes(signed_data)
    digest_algo = signer_info["digest_algorithm"]["algorithm"].native
    try:
        intact, valid = signer_integrity(
            signer_info,
            tsa_cert,
            expected_content_type="tst_info",
            content_digest=digest_by_name(digest_algo, encap),
        )
    except IntegrityError as exc:
        return result(Indication.TOTAL_FAILED, f"time-stamp token: {exc}", tsa)
    if not (intact and valid):
        return result(Indication.TOTAL_FAILED, "time-stamp token signature is not valid", tsa)
    if not _is_tsa_certificate(tsa_cert):
        return result(
            Indication.INDETERMINATE, "time-stamp signer certificate is not for time-stamping", tsa
        )
    tsa_data = data.merged(ValidationData(certs=tuple(token_certs)))
    evaluation = await evaluator.evaluate(tsa_cert, data=tsa_data, at=gen_time, purpose="timestamp")
    if not evaluation.ok:
        return result(
            Indication.INDETERMINATE,
            f"time-stamp authority: {evaluation.message}",
            tsa,
            evaluation,
            sub_indication=_NO_POE_FOR.get(evaluation.status),
        )
    trust = evaluator.trust
    match = trust.tsa_service_at(evaluation.path, gen_time)
    if match is None:
        known = trust.tsa_services_for(evaluation.path)
        why = (
            f"the service {known[0].name!r} ({known[0].source}) was not granted at "
            f"{gen_time.isoformat()}"
            if known
            else "no trusted list, TSA anchor or configured TSA certificate names it"
        )
        unconfigured = result(
            Indication.INDETERMINATE,
            f"{UNCONFIGURED_TSA}: {why}",
            tsa,
            evaluation,
            sub_indication=SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
        )
        return replace(unconfigured, unconfigured_tsa=True)
    kind_of = "qualified time-stamp" if match.qualified else "time-stamp (not qualified)"
    passed = result(
        Indication.TOTAL_PASSED,
        f"{kind_of} by {tsa} at {gen_time.isoformat()}",
        tsa,
        evaluation,
    )
    info = replace(
        passed.info,
        qualified=match.qualified,
        tsa_service=f"{match.service.name} ({match.service.source})",
    )
    return replace(passed, info=info, tsa_cert=tsa_cert, tsa_data=tsa_data)


# What an unusable TSA certificate means for the token (EN 319 102-1 §5.6.2.4: without a
# proof that the token existed before the event, the event wins).
_NO_POE_FOR: dict[CertStatus, SubIndication] = {
    CertStatus.REVOKED: SubIndication.REVOKED_NO_POE,
    CertStatus.CA_REVOKED: SubIndication.REVOKED_CA_NO_POE,
    CertStatus.EXPIRED: SubIndication.OUT_OF_BOUNDS_NO_POE,
    CertStatus.NOT_YET_VALID: SubIndication.OUT_OF_BOUNDS_NO_POE,
    CertStatus.NO_CHAIN: SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    CertStatus.NO_REVOCATION_DATA: SubIndication.TRY_LATER,
    CertStatus.WEAK_ALGORITHM: SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
}


async def confirm_at_poe(
    result: TimestampResult, *, poe_time: datetime, evaluator: CertificateEvaluator
) -> TimestampResult:
    """The token as its best proof of existence ``poe_time`` leaves it (see the module doc).

    ``poe_time`` is the time of the earliest valid time-stamp covering the token, or the
    validation time. A token that proves nothing already, or whose proof of existence is
    its own time, comes back as it is.
    """
    if not result.valid or result.tsa_cert is None or poe_time <= result.time:
        return result
    data = result.tsa_data if result.tsa_data is not None else ValidationData()
    if not evaluator.online and _unchanged_at(result.evaluation, data, poe_time):
        return result
    evaluation = await evaluator.evaluate(
        result.tsa_cert, data=data, at=poe_time, purpose="timestamp"
    )
    if evaluation.ok or evaluation.status is CertStatus.NO_REVOCATION_DATA:
        # No revocation data fresh at the proof-of-existence time: the data issued after
        # the token's time showed the certificate good and none shows it revoked since.
        return result
    when = poe_time.isoformat()
    if evaluation.status in (CertStatus.REVOKED, CertStatus.CA_REVOKED):
        whose = "certificate" if evaluation.status is CertStatus.REVOKED else "CA's certificate"
        revoked = evaluation.revocation_time
        at = f" at {revoked.isoformat()}" if revoked is not None else ""
        message = (
            f"the time-stamp authority's {whose} was revoked{at}, and nothing proves the "
            f"token existed before then (its earliest proof of existence is {when})"
        )
    elif evaluation.status in (CertStatus.EXPIRED, CertStatus.NOT_YET_VALID):
        message = (
            "the time-stamp authority's certificate is outside its validity at the token's "
            f"earliest proof of existence ({when}): {evaluation.message}"
        )
    else:
        message = (
            "the time-stamp authority's certificate does not validate at the token's earliest "
            f"proof of existence ({when}): {evaluation.message}"
        )
    info = replace(
        result.info,
        indication=Indication.INDETERMINATE,
        sub_indication=_NO_POE_FOR.get(evaluation.status),
        qualified=None,
        message=message,
    )
    return replace(result, info=info, evaluation=evaluation)


def _unchanged_at(
    evaluation: CertEvaluation | None, data: ValidationData, moment: datetime
) -> bool:
    """Whether validating the path again at ``moment`` offline could only confirm it.

    Offline, with the same data, what can differ at a later time is the certificates'
    validity and a revocation the data records; when every certificate of the path is
    within its validity then and the data records no revocation for any of them, the
    evaluation would pass, or lack revocation data fresh at ``moment`` (which leaves the
    token standing, see :func:`confirm_at_poe`). Skipping it halves the cost of a token.
    """
    if evaluation is None or not evaluation.ok or not evaluation.path:
        return False
    for cert in evaluation.path:
        validity = cert["tbs_certificate"]["validity"]
        if not validity["not_before"].native <= moment <= validity["not_after"].native:
            return False
    return not any(True for _ in revocation_times(data, evaluation.path))


async def confirm_covering(
    results: list[TimestampResult],
    *,
    validation_time: datetime,
    evaluator: CertificateEvaluator,
) -> list[TimestampResult]:
    """Confirm a chain of tokens each covered by those after it (PDF document time-stamps).

    The last one's proof of existence is the validation time; each earlier one's, the
    earliest later token that still proves its time after its own confirmation.
    """
    confirmed: list[TimestampResult] = list(results)
    for index in range(len(confirmed) - 1, -1, -1):
        ts = confirmed[index]
        poe = best_poe(ts.time, confirmed[index + 1 :], validation_time=validation_time)
        confirmed[index] = await confirm_at_poe(ts, poe_time=poe, evaluator=evaluator)
    return confirmed


def best_poe(
    time: datetime, covering: Iterable[TimestampResult], *, validation_time: datetime
) -> datetime:
    """The earliest time a covering token proves (at or after ``time``), else validation time."""
    proven = [ts.time for ts in covering if ts.valid and time <= ts.time <= validation_time]
    return min(proven, default=validation_time)


def _is_tsa_certificate(cert: x509.Certificate) -> bool:
    eku = cert.extended_key_usage_value
    return eku is not None and "time_stamping" in eku.native
