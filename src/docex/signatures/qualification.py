"""Qualification of a signature: QESig, QESeal, AdES-QC or plain AdES.

The signing certificate's QCStatements (ETSI EN 319 412-5) say what the issuer claims:
``qcCompliance`` (a qualified certificate), ``qcSSCD`` (the key lives in a qualified
signature creation device) and ``qcType`` (esign, eseal). The trust configuration says
whether the CA at the top of the path may issue qualified certificates at the time in
question; pyHanko's :class:`QualificationAssessor` combines both, applying any trusted-list
qualifiers. On top of that, a qualified signature by a natural person requires the
nonRepudiation key usage (the "content commitment" of EN 319 412-2 §4.3.2).

Ukrainian certificates say the same things in the national vocabulary as well
(``docs/ukrainian-profile.md``):

* the qualified-certificate policy ``1.2.804.2.1.1.1.2.2`` together with the national
  QC statement ``1.2.804.2.1.1.1.2.1`` claim a qualified certificate as ``qcCompliance``
  does. Certificates issued before the profile adopted the ETSI statements carry only
  these; they are qualified when the CA is trusted as qualified, exactly as with
  ``qcCompliance``, and trusted-list qualifiers (NotQualified, QCForLegalPerson, QSCD
  qualifiers) still apply;
* the extended key usage ``1.2.804.2.1.1.1.3.9`` ("stamp") marks a seal, as QcType
  eseal does. A certificate that calls itself a seal in either vocabulary is a seal: it
  never yields a natural person's qualified signature.

Neither national marker says anything about the signature creation device: QSCD is
claimed only by ``qcSSCD`` (or a trusted-list qualifier), so a file-key certificate with
the national markers is AdES-QC, not QES.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asn1crypto import x509
from pyhanko.sign.validation.qualified.tsp import (
    QcCertType,
    QualifiedServiceInformation,
    Qualifier,
)
from pyhanko_certvalidator.path import ValidationPath

from docex.signatures.identity_ua import UaMarkers, has_non_repudiation, ua_markers
from docex.signatures.qualified_status import QualificationAssessor
from docex.signatures.report import Qualification
from docex.signatures.trust import TrustStore

_UNQUALIFYING = frozenset({Qualifier.NOT_QUALIFIED, Qualifier.LEGAL_PERSON})
_NO_QSCD = frozenset({Qualifier.NO_SSCD, Qualifier.NO_QSCD})
_WITH_QSCD = frozenset({Qualifier.WITH_SSCD, Qualifier.WITH_QSCD, Qualifier.QSCD_MANAGED_ON_BEHALF})


@dataclass(frozen=True)
class QualificationVerdict:
    """A qualification and the reason for it, in words."""

    qualification: Qualification
    message: str


def assess(
    *, trust: TrustStore, path: ValidationPath, cert: x509.Certificate, at: datetime
) -> QualificationVerdict:
    """Qualify a signature whose signing certificate validated along ``path`` at ``at``."""
    markers = ua_markers(cert)
    try:
        result = QualificationAssessor(trust.registry).check_entity_cert_qualified(path, at)
        status = result.status
        qualified = status.qualified
        qscd = status.qc_key_security.is_qscd
        basis = "qualified certificate"
        if not qualified and markers.ua_qualified and result.service_definition is not None:
            qualified, qscd = _ua_qualified(result.service_definition, cert, markers)
            basis = "qualified certificate by the Ukrainian profile"
    except NotImplementedError:
        # pyHanko refuses a qcType statement naming more than one type; so do we.
        return QualificationVerdict(
            Qualification.ADESEAL if markers.seal else Qualification.ADESIG,
            "the certificate declares more than one QcType, so its type is ambiguous",
        )
    except ValueError:
        # A QC statement pyHanko must read (qcType), or an extension a trusted-list
        # criterion looks at, is malformed: a claim that cannot be read is not made.
        return QualificationVerdict(
            Qualification.ADESEAL if markers.seal else Qualification.ADESIG,
            "the certificate's QC statements or extensions cannot be parsed, so it claims "
            "no qualification",
        )
    seal = status.qc_type is QcCertType.QC_ESEAL or markers.seal
    if not qualified:
        return QualificationVerdict(
            Qualification.ADESEAL if seal else Qualification.ADESIG,
            "the certificate is not a qualified certificate under the trusted CA "
            "(no qcCompliance or Ukrainian qualified-certificate statement, or the CA is "
            "not qualified at the signing time)",
        )
    if status.qc_type is QcCertType.QC_WEB:
        return QualificationVerdict(
            Qualification.ADESIG, "the certificate is qualified for websites, not signatures"
        )
    qc = Qualification.ADESEAL_QC if seal else Qualification.ADESIG_QC
    if not qscd:
        return QualificationVerdict(
            qc, "the qualified certificate does not declare a qualified signature device (QSCD)"
        )
    if not seal and not has_non_repudiation(cert):
        return QualificationVerdict(
            qc, "the certificate lacks the nonRepudiation key usage a qualified signature needs"
        )
    if seal:
        return QualificationVerdict(
            Qualification.QESEAL, f"qualified electronic seal ({basis}, QSCD)"
        )
    return QualificationVerdict(
        Qualification.QESIG, f"qualified electronic signature ({basis}, QSCD)"
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


def _ua_qualified(
    service: QualifiedServiceInformation, cert: x509.Certificate, markers: UaMarkers
) -> tuple[bool, bool]:
    """Qualified and QSCD for a certificate whose only claim is the national one.

    The trusted list's qualifiers for this certificate are applied as pyHanko applies them
    to a ``qcCompliance`` claim: they can withdraw the qualification or settle the QSCD
    status, never invent a qualification the certificate does not claim.
    """
    qualifiers: set[Qualifier] = set()
    for qualification in service.qualifications:
        if qualification.criteria_list.matches(cert):
            qualifiers |= qualification.qualifiers
    if qualifiers & _UNQUALIFYING:
        return False, False
    if qualifiers & _NO_QSCD:
        return True, False
    return True, markers.qscd or bool(qualifiers & _WITH_QSCD)
