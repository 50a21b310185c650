"""What validating one CMS signer works with: its input, the engine, the report being built.

:class:`SignerInput` is what a container format (CAdES, PAdES) hands over about one
signer; :class:`Engine` what every validation needs; :class:`ReportBuilder` collects the
facts and checks of one validation and makes its :class:`SignatureReport`. The steps that
fill it are in :mod:`docex.signatures.signer_steps` and :mod:`docex.signatures.existence`,
their order in :mod:`docex.signatures.cms_signature`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import cms, x509

from docex.signatures.evidence import ValidationData
from docex.signatures.identity import certificate_info, signer_identity
from docex.signatures.parsed import ParsedCache
from docex.signatures.paths import CertEvaluation, CertificateEvaluator
from docex.signatures.report import (
    Check,
    CheckOutcome,
    Indication,
    Qualification,
    SignatureReport,
    SubIndication,
    TimestampInfo,
)
from docex.signatures.timestamps import ImprintFor, TimestampResult
from docex.signatures.trust import TrustStore
from docex.signatures.verdicts import Finding, outcome_for

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
class ReportBuilder:
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
        """Record a check that passed."""
        self.checks.append(Check(name, CheckOutcome.PASSED, message))

    @property
    def format(self) -> str:
        """The signature's format and the baseline level its structure reaches."""
        prefix = self.subject.format_prefix
        if not self.has_ess:
            return NOT_BASELINE_FORMAT.get(prefix, f"{prefix}-NOT-ETSI")
        return f"{prefix}-BASELINE-{self.level}"

    def failed(self, finding: Finding) -> SignatureReport:
        """The report on a signature that ``finding`` decides, with the finding as its check."""
        return self.report(
            finding.indication, finding.sub_indication, finding.check, finding.message
        )

    def report(
        self,
        indication: Indication,
        sub: SubIndication | None,
        name: str,
        message: str,
        qualification: Qualification = Qualification.NA,
        *,
        record: bool = True,
    ) -> SignatureReport:
        """The report with this verdict; its deciding check ``name`` is recorded unless
        ``record`` is false (a container check, already in the list)."""
        if record:
            self.checks.append(Check(name, outcome_for(indication), message))
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
