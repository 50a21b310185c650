"""Whether a certificate is qualified: its QC statements, then the trusted list's word.

This is the procedure of pyHanko's ``QualificationAssessor``
(``pyhanko.sign.validation.qualified.assess``), on pyHanko's own types (``TSPRegistry``,
``QualifiedStatus``, ``QualificationResult``). Its module imports
``pyhanko.sign.validation.policy_decl`` for one annotation, and that imports pyHanko's
PDF change analysis, DSS handling and PDF reader: about a sixth of a one-file ``docex
verify`` of a ``.p7s``, for a check that reads certificates only (issue 12). The class
below keeps pyHanko's name, arguments and result, so :mod:`docex.signatures.qualification`
reads the same, and ``tests/signatures/test_qualified_status.py`` holds it to pyHanko's
answers, certificate by certificate.

The steps (ETSI TS 119 615 §4, the CEF eSignature validation algorithm):

1. What the certificate claims in its QC statements (EN 319 412-5): ``qcCompliance``,
   ``qcSSCD``, ``qcType``. Before eIDAS (1 July 2016) the QCP and QCP+ certificate
   policies claimed it instead.
2. Each qualified trust service on the path that was in force at the time applies its
   qualifiers to that claim (NotQualified, QCForESig, QCWithQSCD, ...); a service whose
   declared certificate types do not include the result does not apply.
3. One applicable service, or several that agree, give the status; none, or several that
   disagree, leave the certificate unqualified.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from asn1crypto import x509
from pyhanko.sign.ades import qualified_asn1
from pyhanko.sign.validation.qualified.q_status import (
    QcPrivateKeyManagementType,
    QualificationResult,
    QualifiedStatus,
)
from pyhanko.sign.validation.qualified.tsp import (
    BaseServiceInformation,
    QcCertType,
    Qualification,
    QualifiedServiceInformation,
    Qualifier,
    TSPRegistry,
)
from pyhanko_certvalidator.path import ValidationPath

logger = logging.getLogger(__name__)

EIDAS_START_DATE = datetime(2016, 7, 1, tzinfo=zoneinfo.ZoneInfo("Europe/Brussels"))
"""From this day on, only QC statements and trusted lists say a certificate is qualified."""

PRE_EIDAS_QCP_POLICY = "0.4.0.1456.1.1"
PRE_EIDAS_QCP_PLUS_POLICY = "0.4.0.1456.1.2"
"""ETSI TS 101 456's policies for qualified certificates, and with an SSCD."""

UNQUALIFIED = QualifiedStatus(
    qualified=False,
    qc_type=QcCertType.QC_ESIGN,
    qc_key_security=QcPrivateKeyManagementType.UNKNOWN,
)

_WITHDRAWING = frozenset({Qualifier.NOT_QUALIFIED, Qualifier.LEGAL_PERSON})
_TYPE_BY_QUALIFIER = (
    (Qualifier.FOR_WSA, QcCertType.QC_WEB),
    (Qualifier.FOR_ESIG, QcCertType.QC_ESIGN),
    (Qualifier.FOR_ESEAL, QcCertType.QC_ESEAL),
)
_NO_QSCD = frozenset({Qualifier.NO_SSCD, Qualifier.NO_QSCD})
_WITH_QSCD = frozenset({Qualifier.WITH_SSCD, Qualifier.WITH_QSCD})


class QualificationAssessor:
    """Assess certificates against the qualified trust services of ``tsp_registry``."""

    def __init__(self, tsp_registry: TSPRegistry) -> None:
        self._registry = tsp_registry

    def check_entity_cert_qualified(
        self, path: ValidationPath, moment: datetime | None = None
    ) -> QualificationResult:
        """The qualified status of ``path``'s leaf certificate at ``moment`` (default: now).

        :raises NotImplementedError: the leaf is an attribute certificate, or its
            ``qcType`` statement names other than exactly one type (ambiguous).
        :raises ValueError: a QC statement or an extension a criterion reads is malformed.
        """
        cert = path.leaf
        if not isinstance(cert, x509.Certificate):
            raise NotImplementedError("Only public-key certs are in scope for qualification")
        claimed = _claimed_status(cert)
        at = moment or datetime.now(tz=zoneinfo.ZoneInfo("Europe/Brussels"))
        claimed = _pre_eidas_claim(claimed, path, at)

        found: list[tuple[QualifiedServiceInformation, QualifiedStatus]] = []
        for service in self._registry.applicable_tsps_on_path(path, at):
            status = _qualified_by_service(cert, claimed, service.qualifications)
            if _declares_type(service.base_info, status):
                found.append((service, status))

        distinct = {status for _, status in found}
        if len(distinct) == 1:
            if len(found) > 1:
                logger.warning(
                    "qualification of %s: one conclusion through several services: %s",
                    cert.subject.human_friendly,
                    ", ".join(s.base_info.service_name for s, _ in found),
                )
            service, status = found[0]
            return QualificationResult(status, service_definition=service)
        if distinct:
            logger.warning(
                "qualification of %s: contradictory conclusions %s from services %s; "
                "the certificate is not considered qualified",
                cert.subject.human_friendly,
                distinct,
                ", ".join(s.base_info.service_name for s, _ in found),
            )
        return QualificationResult(UNQUALIFIED, service_definition=None)


def _claimed_status(cert: x509.Certificate) -> QualifiedStatus:
    # What the certificate's QC statements claim, before any trusted list has its say.
    qualified = sscd = False
    qc_type = QcCertType.QC_ESIGN
    for statement in qualified_asn1.get_qc_statements(cert):
        kind = statement["statement_id"].native
        if kind == "qc_compliance":
            qualified = True
        elif kind == "qc_sscd":
            sscd = True
        elif kind == "qc_type":
            types = statement["statement_info"]
            if len(types) != 1:
                # Several types could only be settled by the trusted list; refused as
                # ambiguous, as pyHanko refuses them.
                raise NotImplementedError("only support exactly 1 qc_type")
            qc_type = QcCertType(types[0].native)
    # An SSCD claim means nothing for a certificate that does not claim to be qualified.
    security = (
        QcPrivateKeyManagementType.QSCD
        if qualified and sscd
        else QcPrivateKeyManagementType.UNKNOWN
    )
    return QualifiedStatus(qualified=qualified, qc_type=qc_type, qc_key_security=security)


def _pre_eidas_claim(
    claimed: QualifiedStatus, path: ValidationPath, at: datetime
) -> QualifiedStatus:
    policies = path.qualified_policies()
    if at >= EIDAS_START_DATE or not policies:
        return claimed
    oids = {policy.user_domain_policy_id for policy in policies}
    if PRE_EIDAS_QCP_PLUS_POLICY in oids:
        security = claimed.qc_key_security
        if not security.is_qscd:
            security = QcPrivateKeyManagementType.QSCD_BY_POLICY
        return replace(claimed, qualified=True, qc_key_security=security)
    if PRE_EIDAS_QCP_POLICY in oids:
        return replace(claimed, qualified=True)
    return claimed


def _qualified_by_service(
    cert: x509.Certificate, claimed: QualifiedStatus, qualifications: Iterable[Qualification]
) -> QualifiedStatus:
    qualifiers: set[Qualifier] = set()
    for qualification in qualifications:
        if qualification.criteria_list.matches(cert):
            qualifiers.update(qualification.qualifiers)

    # Withdrawing qualifiers win over QCStatement: the conservative reading.
    if qualifiers & _WITHDRAWING:
        qualified = False
    elif Qualifier.QC_STATEMENT in qualifiers:
        qualified = True
    else:
        qualified = claimed.qualified

    qc_type = next(
        (qc for qualifier, qc in _TYPE_BY_QUALIFIER if qualifier in qualifiers), claimed.qc_type
    )

    if not qualified or qualifiers & _NO_QSCD:
        security = QcPrivateKeyManagementType.UNKNOWN
    elif Qualifier.QSCD_MANAGED_ON_BEHALF in qualifiers:
        security = QcPrivateKeyManagementType.QSCD_DELEGATED
    elif qualifiers & _WITH_QSCD:
        security = QcPrivateKeyManagementType.QSCD
    else:
        security = claimed.qc_key_security
    return QualifiedStatus(qualified=qualified, qc_type=qc_type, qc_key_security=security)


def _declares_type(service: BaseServiceInformation, status: QualifiedStatus) -> bool:
    # A service that lists the certificate types it issues applies only to those.
    declared = service.additional_info_certificate_type
    return not declared or status.qc_type in declared
