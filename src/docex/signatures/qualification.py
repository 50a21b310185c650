"""Qualification of a signature: QESig, QESeal, AdES-QC or plain AdES.

The signing certificate's QCStatements (ETSI EN 319 412-5) say what the issuer claims:
``qcCompliance`` (a qualified certificate), ``qcSSCD`` (the key lives in a qualified
signature creation device) and ``qcType`` (esign, eseal). The trust configuration says
whether the CA at the top of the path may issue qualified certificates at the time in
question; pyHanko's :class:`QualificationAssessor` combines both, applying any trusted-list
qualifiers. On top of that, a qualified signature by a natural person requires the
nonRepudiation key usage (the "content commitment" of EN 319 412-2 §4.3.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asn1crypto import x509
from pyhanko.sign.validation.qualified.assess import QualificationAssessor
from pyhanko.sign.validation.qualified.tsp import QcCertType
from pyhanko_certvalidator.path import ValidationPath

from docex.signatures.report import Qualification
from docex.signatures.trust import TrustStore


@dataclass(frozen=True)
class QualificationVerdict:
    """A qualification and the reason for it, in words."""

    qualification: Qualification
    message: str


def assess(
    *, trust: TrustStore, path: ValidationPath, cert: x509.Certificate, at: datetime
) -> QualificationVerdict:
    """Qualify a signature whose signing certificate validated along ``path`` at ``at``."""
    result = QualificationAssessor(trust.registry).check_entity_cert_qualified(path, at)
    status = result.status
    seal = status.qc_type is QcCertType.QC_ESEAL
    if not status.qualified:
        return QualificationVerdict(
            Qualification.ADESEAL if seal else Qualification.ADESIG,
            "the certificate is not a qualified certificate under the trusted CA "
            "(no qcCompliance statement, or the CA is not qualified at the signing time)",
        )
    if status.qc_type is QcCertType.QC_WEB:
        return QualificationVerdict(
            Qualification.ADESIG, "the certificate is qualified for websites, not signatures"
        )
    qc = Qualification.ADESEAL_QC if seal else Qualification.ADESIG_QC
    if not status.qc_key_security.is_qscd:
        return QualificationVerdict(
            qc, "the qualified certificate does not declare a qualified signature device (QSCD)"
        )
    if not seal and not _has_non_repudiation(cert):
        return QualificationVerdict(
            qc, "the certificate lacks the nonRepudiation key usage a qualified signature needs"
        )
    if seal:
        return QualificationVerdict(
            Qualification.QESEAL, "qualified electronic seal (qualified certificate, QSCD)"
        )
    return QualificationVerdict(
        Qualification.QESIG, "qualified electronic signature (qualified certificate, QSCD)"
    )


def service_boundaries(trust: TrustStore, path: ValidationPath) -> list[datetime]:
    """Every start and end date of the trust services that concern the path's CAs."""
    times: list[datetime] = []
    for authority in path.iter_authorities():
        for service in trust.registry.applicable_service_definitions(authority, None):
            times.append(service.base_info.valid_from)
            if service.base_info.valid_until is not None:
                times.append(service.base_info.valid_until)
    return times


def _has_non_repudiation(cert: x509.Certificate) -> bool:
    usage = cert.key_usage_value
    return usage is not None and "non_repudiation" in usage.native
