"""docex's qualification assessor reaches pyHanko's answer (docex.signatures.qualified_status).

The assessor exists so that a ``.p7s`` verify need not import pyHanko's PDF machinery
(issue 12); it must not change a single verdict. Each case runs both on the same path,
registry and time and compares the whole result: status (qualified, type, key security)
and the service definition it rests on, or the exception.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import x509
from pyhanko.sign.validation.qualified.assess import QualificationAssessor as PyHankoAssessor
from pyhanko.sign.validation.qualified.tsp import (
    CA_QC_URI,
    BaseServiceInformation,
    CAServiceInformation,
    CriteriaCombination,
    CriteriaList,
    PolicySetCriterion,
    QcCertType,
    Qualifier,
    TSPRegistry,
)
from pyhanko.sign.validation.qualified.tsp import Qualification as TlQualification
from pyhanko_certvalidator.authority import CertTrustAnchor
from pyhanko_certvalidator.path import QualifiedPolicy, ValidationPath

from docex.devpki.pki import END_ENTITY_LABELS, DevPki
from docex.signatures.identity_ua import ETSI_QC_COMPLIANCE, ETSI_QC_SSCD, ETSI_QC_TYPE
from docex.signatures.qualified_status import QualificationAssessor
from docex.signatures.trust import load_trust_store, trust_store_from_certificates
from tests.signatures.conftest import DEV_TRUST
from tests.signatures.ua_pki import (
    NOW,
    Issued,
    load,
    make_leaf,
    make_root,
    oid,
    policies,
    qc_statements,
    seq,
)
from tests.signatures.ua_samples import UAPKI_SIGNED_AT

QCT_ESIGN = "0.4.0.1862.1.6.1"
QCT_ESEAL = "0.4.0.1862.1.6.2"
QCT_WEB = "0.4.0.1862.1.6.3"
QCP_PLUS = "0.4.0.1456.1.2"
QCP = "0.4.0.1456.1.1"
BEFORE_EIDAS = datetime(2015, 6, 1, tzinfo=UTC)


def _both(
    registry: TSPRegistry, path: ValidationPath, at: datetime | None
) -> tuple[object, object]:
    def run(assessor: object) -> object:
        try:
            return assessor.check_entity_cert_qualified(path, at)  # type: ignore[attr-defined]
        except (NotImplementedError, ValueError) as exc:
            return (type(exc), str(exc))

    return run(PyHankoAssessor(registry)), run(QualificationAssessor(registry))


def test_the_dev_pki_signers_get_pyhankos_answer(pki: DevPki) -> None:
    trust = load_trust_store([DEV_TRUST])
    results = []
    for label in END_ENTITY_LABELS:
        chain = pki.chain(label)
        path = ValidationPath(CertTrustAnchor(chain[-1]), chain[1:-1][::-1], chain[0])
        for at in (datetime(2026, 11, 2, tzinfo=UTC), BEFORE_EIDAS, None):
            theirs, ours = _both(trust.registry, path, at)
            assert ours == theirs, (label, at)
            results.append(ours)
    # The cases are not all alike: qualified and unqualified ones both occur.
    statuses = {getattr(r, "status", None) for r in results}
    assert len(statuses) > 1


def test_the_diia_test_signer_gets_pyhankos_answer() -> None:
    ca = load("diia-CA-05E19E2CD92EA2990100000001000000E1000000.cer")
    leaf = load("diia-test-sign-7775603.cer")
    path = ValidationPath(CertTrustAnchor(ca), [], leaf)
    for trusted in (ca, load("CAO-05E19E2CD92EA2990100000001000000C1000000.cer")):
        registry = trust_store_from_certificates([trusted]).registry
        theirs, ours = _both(registry, path, UAPKI_SIGNED_AT)
        assert ours == theirs


@pytest.fixture(scope="module")
def root() -> Issued:
    return make_root()


LEAF_SHAPES: dict[str, dict[str, bytes | None]] = {
    "no statements": {"statements": None},
    "qcCompliance": {"statements": qc_statements((ETSI_QC_COMPLIANCE, None))},
    "qcCompliance, QSCD": {
        "statements": qc_statements((ETSI_QC_COMPLIANCE, None), (ETSI_QC_SSCD, None))
    },
    "QSCD alone": {"statements": qc_statements((ETSI_QC_SSCD, None))},
    "eseal": {
        "statements": qc_statements(
            (ETSI_QC_COMPLIANCE, None), (ETSI_QC_SSCD, None), (ETSI_QC_TYPE, seq(oid(QCT_ESEAL)))
        )
    },
    "web": {
        "statements": qc_statements((ETSI_QC_COMPLIANCE, None), (ETSI_QC_TYPE, seq(oid(QCT_WEB))))
    },
    "two types": {
        "statements": qc_statements(
            (ETSI_QC_COMPLIANCE, None), (ETSI_QC_TYPE, seq(oid(QCT_ESIGN), oid(QCT_ESEAL)))
        )
    },
    "QCP+ policy": {"statements": None, "policy_der": policies(QCP_PLUS)},
    "QCP policy": {"statements": None, "policy_der": policies(QCP)},
}

QUALIFIER_SETS: list[frozenset[Qualifier]] = [
    frozenset(),
    frozenset({Qualifier.NOT_QUALIFIED}),
    frozenset({Qualifier.LEGAL_PERSON}),
    frozenset({Qualifier.QC_STATEMENT}),
    frozenset({Qualifier.QC_STATEMENT, Qualifier.NOT_QUALIFIED}),
    frozenset({Qualifier.FOR_ESEAL}),
    frozenset({Qualifier.FOR_WSA, Qualifier.FOR_ESIG}),
    frozenset({Qualifier.NO_QSCD}),
    frozenset({Qualifier.WITH_QSCD}),
    frozenset({Qualifier.WITH_SSCD}),
    frozenset({Qualifier.QSCD_MANAGED_ON_BEHALF}),
    frozenset({Qualifier.QC_STATEMENT, Qualifier.WITH_QSCD, Qualifier.NO_SSCD}),
]


def _service(
    root: Issued,
    name: str,
    qualifiers: frozenset[Qualifier],
    *,
    types: Iterable[QcCertType] = (),
    policy: str = QCP_PLUS,
    since: datetime = NOW - timedelta(days=365),
) -> CAServiceInformation:
    info = BaseServiceInformation(
        service_type=CA_QC_URI,
        service_name=name,
        valid_from=since,
        valid_until=None,
        provider_certs=(root.cert,),
        additional_info_certificate_type=frozenset(types),
        other_additional_info=frozenset(),
    )
    # The qualifiers hit certificates with the QCP+ policy, or all of them (ANY of none).
    criteria = CriteriaList(
        combine_as=CriteriaCombination.ALL,
        criteria=frozenset({PolicySetCriterion(frozenset({policy}))}),
    )
    qualifications = (
        frozenset({TlQualification(qualifiers, criteria)}) if qualifiers else frozenset()
    )
    return CAServiceInformation(
        base_info=info, qualifications=qualifications, expired_certs_revocation_info=None
    )


def _leaf(root: Issued, shape: str, *, with_policy: bool) -> x509.Certificate:
    parts = LEAF_SHAPES[shape]
    policy_der = parts.get("policy_der")
    if with_policy and policy_der is None:
        policy_der = policies(QCP_PLUS)
    return make_leaf(root, statements=parts["statements"], policy_der=policy_der).cert


def _policies_of(cert: x509.Certificate) -> frozenset[QualifiedPolicy]:
    value = cert.certificate_policies_value
    oids = [] if value is None else [info["policy_identifier"].dotted for info in value]
    return frozenset(QualifiedPolicy(o, o, frozenset()) for o in oids)


@pytest.mark.parametrize("shape", list(LEAF_SHAPES))
def test_trusted_list_qualifiers_give_pyhankos_answer(root: Issued, shape: str) -> None:
    anchor = CertTrustAnchor(root.cert)
    seen = set()
    # Services since last year, and since before eIDAS (when policies alone qualified).
    starts = (NOW - timedelta(days=365), datetime(2010, 1, 1, tzinfo=UTC))
    for with_policy, qualifiers, since in itertools.product((False, True), QUALIFIER_SETS, starts):
        leaf = _leaf(root, shape, with_policy=with_policy)
        path = ValidationPath(anchor, [], leaf)
        # The policies PKIX validation accepted on the path, as it records them; the
        # pre-eIDAS step reads them.
        path._set_qualified_policies(_policies_of(leaf))  # type: ignore[no-untyped-call]
        registry = TSPRegistry()
        registry.register_ca(_service(root, "ЦСК", qualifiers, since=since))
        for at in (NOW, BEFORE_EIDAS, NOW - timedelta(days=400)):
            theirs, ours = _both(registry, path, at)
            assert ours == theirs, (shape, with_policy, sorted(q.name for q in qualifiers), at)
            seen.add(getattr(ours, "status", ours))
    # A comparison is only worth the variety it sees: qualifiers do change the answer
    # (except for a certificate whose QC type is ambiguous, refused whatever they say).
    assert len(seen) >= (1 if shape == "two types" else 2), seen


@pytest.mark.parametrize(
    ("first", "second", "types"),
    [
        # Two services that agree, that disagree, and one that declares other types.
        (frozenset(), frozenset(), ()),
        (frozenset({Qualifier.WITH_QSCD}), frozenset({Qualifier.NO_QSCD}), ()),
        (frozenset({Qualifier.FOR_ESEAL}), frozenset(), (QcCertType.QC_ESIGN,)),
        (frozenset(), frozenset(), (QcCertType.QC_WEB,)),
    ],
)
def test_several_services_give_pyhankos_answer(
    root: Issued,
    first: frozenset[Qualifier],
    second: frozenset[Qualifier],
    types: tuple[QcCertType, ...],
) -> None:
    leaf = _leaf(root, "qcCompliance, QSCD", with_policy=True)
    path = ValidationPath(CertTrustAnchor(root.cert), [], leaf)
    registry = TSPRegistry()
    registry.register_ca(_service(root, "перший", first))
    registry.register_ca(_service(root, "другий", second, types=types))
    theirs, ours = _both(registry, path, NOW)
    assert ours == theirs
