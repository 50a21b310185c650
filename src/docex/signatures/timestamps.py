"""Time-stamp tokens (RFC 3161): imprint, TSA signature, TSA path, and the time they prove."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from asn1crypto import cms, core, tsp, x509
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import get_signing_cert_attr

from docex.signatures.algorithms import check_signer_algorithms
from docex.signatures.evidence import ValidationData
from docex.signatures.integrity import (
    IntegrityError,
    digest_by_name,
    encapsulated_bytes,
    ess_binds,
    find_certificate,
    signer_integrity,
)
from docex.signatures.parsed import ParsedCache
from docex.signatures.paths import CertEvaluation, CertificateEvaluator
from docex.signatures.report import Indication, TimestampInfo

ImprintFor = Callable[[str], bytes]
"""Computes the expected message imprint for a digest algorithm name."""


@dataclass(frozen=True)
class TimestampResult:
    """A validated (or rejected) time-stamp token."""

    info: TimestampInfo
    time: datetime
    evaluation: CertEvaluation | None

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
    ) -> TimestampResult:
        info = TimestampInfo(
            kind=kind, time=gen_time, tsa=tsa, indication=indication, message=message
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
            Indication.INDETERMINATE, f"time-stamp authority: {evaluation.message}", tsa, evaluation
        )
    return result(
        Indication.TOTAL_PASSED, f"time-stamp by {tsa} at {gen_time.isoformat()}", tsa, evaluation
    )


def _is_tsa_certificate(cert: x509.Certificate) -> bool:
    eku = cert.extended_key_usage_value
    return eku is not None and "time_stamping" in eku.native
