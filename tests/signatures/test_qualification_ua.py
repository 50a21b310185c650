"""Qualification the Ukrainian way: the national markers beside the ETSI statements."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pyhanko.sign.validation.qualified.tsp import (
    CA_QC_URI,
    BaseServiceInformation,
    CAServiceInformation,
    CriteriaCombination,
    CriteriaList,
    PolicySetCriterion,
    Qualifier,
    TSPRegistry,
)
from pyhanko.sign.validation.qualified.tsp import Qualification as TlQualification
from pyhanko_certvalidator.authority import CertTrustAnchor
from pyhanko_certvalidator.path import ValidationPath

from docex.signatures.identity_ua import (
    ETSI_QC_COMPLIANCE,
    ETSI_QC_LIMIT_VALUE,
    ETSI_QC_SSCD,
    ETSI_QC_TYPE,
    UA_QC_STATEMENT,
    UA_QUALIFIED_POLICY,
    UA_SEAL_EKU,
    ua_markers,
)
from docex.signatures.qualification import QualificationVerdict, assess
from docex.signatures.report import Qualification
from docex.signatures.trust import TrustStore, trust_store_from_certificates
from tests.signatures.ua_pki import (
    NOW,
    Issued,
    load,
    make_leaf,
    make_root,
    monetary_value,
    oid,
    policies,
    qc_statements,
    seq,
    utf8,
)
from tests.signatures.ua_samples import NO_QSCD, UAPKI_SIGNED_AT

QCT_ESIGN = "0.4.0.1862.1.6.1"
QCT_ESEAL = "0.4.0.1862.1.6.2"
QC_PDS = "0.4.0.1862.1.5"
QC_CC_LEGISLATION = "0.4.0.1862.1.7"
SEMANTICS_LEGAL = "1.3.6.1.5.5.7.11.2"
NOT_QUALIFIED = (
    "the certificate is not a qualified certificate under the trusted CA "
    "(no qcCompliance or Ukrainian qualified-certificate statement, or the CA is "
    "not qualified at the signing time)"
)
UA_QES = "qualified electronic signature (qualified certificate by the Ukrainian profile, QSCD)"
UA_QESEAL = "qualified electronic seal (qualified certificate by the Ukrainian profile, QSCD)"


# --- what the real certificates carry --------------------------------------------------


def test_diia_test_signer_markers() -> None:
    markers = ua_markers(load("diia-test-sign-7775603.cer"))
    assert markers.policies == {UA_QUALIFIED_POLICY}
    assert markers.qc_statements == {ETSI_QC_COMPLIANCE, QC_PDS, UA_QC_STATEMENT}
    assert markers.extended_key_usages == {UA_SEAL_EKU}
    assert (markers.etsi_qualified, markers.ua_qualified, markers.qscd, markers.seal) == (
        True,
        True,
        False,
        True,
    )


def test_tax_service_seal_carries_only_national_markers_and_a_limit_value() -> None:
    markers = ua_markers(load("SFS_1.cer"))
    assert markers.policies == {UA_QUALIFIED_POLICY}
    assert markers.qc_statements == {UA_QC_STATEMENT, ETSI_QC_LIMIT_VALUE}
    assert markers.extended_key_usages == {UA_SEAL_EKU}
    assert (markers.etsi_qualified, markers.ua_qualified, markers.seal) == (False, True, True)


def test_diia_ca_and_servers_carry_both_vocabularies() -> None:
    for name in (
        "diia-CA-05E19E2CD92EA2990100000001000000E1000000.cer",
        "diia-ocsp-3ED5083160DBC59B0200000001000000202B0F00.cer",
        "diia-2023-tsp-05E19E2CD92EA29902000000010000004A010000.cer",
    ):
        markers = ua_markers(load(name))
        assert markers.qc_statements == {
            ETSI_QC_COMPLIANCE,
            ETSI_QC_SSCD,
            QC_PDS,
            SEMANTICS_LEGAL,
            UA_QC_STATEMENT,
        }, name
        assert markers.policies == {UA_QUALIFIED_POLICY}, name


def test_central_authority_root_is_marked_only_nationally() -> None:
    markers = ua_markers(load("CAO-05E19E2CD92EA2990100000001000000C1000000.cer"))
    assert (markers.policies, markers.qc_statements) == (
        frozenset({UA_QUALIFIED_POLICY}),
        frozenset({UA_QC_STATEMENT}),
    )


def test_etsi_profile_person_and_seal() -> None:
    person = ua_markers(load("dss-ua-esign-ecdsa.cer"))
    assert person.qc_statements == {
        ETSI_QC_COMPLIANCE,
        ETSI_QC_TYPE,
        QC_CC_LEGISLATION,
        SEMANTICS_LEGAL,
    }
    assert (person.qc_types, person.seal, person.qscd) == (frozenset({QCT_ESIGN}), False, False)
    seal = ua_markers(load("dss-ua-eseal-ecdsa.cer"))
    assert (seal.qc_types, seal.seal, seal.qscd, seal.ua_qualified) == (
        frozenset({QCT_ESEAL}),
        True,
        True,
        True,
    )


def test_diia_test_signature_is_a_qualified_seal_without_qscd() -> None:
    # The UAPKI test key: qcCompliance, no qcSSCD (a file key), the "stamp" EKU.
    ca = load("diia-CA-05E19E2CD92EA2990100000001000000E1000000.cer")
    leaf = load("diia-test-sign-7775603.cer")
    verdict = assess(
        trust=trust_store_from_certificates([ca]),
        path=ValidationPath(CertTrustAnchor(ca), [], leaf),
        cert=leaf,
        at=UAPKI_SIGNED_AT,
    )
    assert verdict == QualificationVerdict(Qualification.ADESEAL_QC, NO_QSCD)


def test_diia_signer_under_an_untrusted_ca_is_not_qualified() -> None:
    ca = load("diia-CA-05E19E2CD92EA2990100000001000000E1000000.cer")
    other = load("CAO-05E19E2CD92EA2990100000001000000C1000000.cer")
    leaf = load("diia-test-sign-7775603.cer")
    verdict = assess(
        trust=trust_store_from_certificates([other]),
        path=ValidationPath(CertTrustAnchor(ca), [], leaf),
        cert=leaf,
        at=UAPKI_SIGNED_AT,
    )
    assert verdict == QualificationVerdict(Qualification.ADESEAL, NOT_QUALIFIED)


# --- generated certificates ------------------------------------------------------------


@pytest.fixture(scope="module")
def root() -> Issued:
    return make_root()


def _assess(root: Issued, leaf: Issued, *, trusted: Issued | None = None) -> QualificationVerdict:
    store = trust_store_from_certificates([(trusted or root).cert])
    path = ValidationPath(CertTrustAnchor(root.cert), [], leaf.cert)
    return assess(trust=store, path=path, cert=leaf.cert, at=NOW)


UA_ONLY = policies(UA_QUALIFIED_POLICY)


def test_national_markers_alone_qualify_with_qscd(root: Issued) -> None:
    leaf = make_leaf(
        root,
        policy_der=UA_ONLY,
        statements=qc_statements((UA_QC_STATEMENT, None), (ETSI_QC_SSCD, None)),
    )
    assert _assess(root, leaf) == QualificationVerdict(Qualification.QESIG, UA_QES)


def test_national_markers_alone_without_qscd_are_adesig_qc(root: Issued) -> None:
    leaf = make_leaf(root, policy_der=UA_ONLY, statements=qc_statements((UA_QC_STATEMENT, None)))
    assert _assess(root, leaf) == QualificationVerdict(Qualification.ADESIG_QC, NO_QSCD)


def test_national_seal_by_stamp_eku(root: Issued) -> None:
    leaf = make_leaf(
        root,
        policy_der=UA_ONLY,
        statements=qc_statements((UA_QC_STATEMENT, None), (ETSI_QC_SSCD, None)),
        ekus=[UA_SEAL_EKU],
        non_repudiation=False,
    )
    assert _assess(root, leaf) == QualificationVerdict(Qualification.QESEAL, UA_QESEAL)


@pytest.mark.parametrize(
    ("policy_der", "statements"),
    [
        # The statement without the qualified policy, and the policy without the statement.
        (None, qc_statements((UA_QC_STATEMENT, None), (ETSI_QC_SSCD, None))),
        (UA_ONLY, qc_statements((ETSI_QC_SSCD, None))),
        (policies("1.2.804.2.1.1.1.2.3"), qc_statements((UA_QC_STATEMENT, None))),
    ],
)
def test_half_a_national_claim_is_no_claim(
    root: Issued, policy_der: bytes | None, statements: bytes
) -> None:
    leaf = make_leaf(root, policy_der=policy_der, statements=statements)
    assert _assess(root, leaf) == QualificationVerdict(Qualification.ADESIG, NOT_QUALIFIED)


def test_national_claim_needs_a_trusted_qualified_ca(root: Issued) -> None:
    leaf = make_leaf(
        root,
        policy_der=UA_ONLY,
        statements=qc_statements((UA_QC_STATEMENT, None), (ETSI_QC_SSCD, None)),
    )
    verdict = _assess(root, leaf, trusted=make_root("Інший ЦСК"))
    assert verdict == QualificationVerdict(Qualification.ADESIG, NOT_QUALIFIED)


def test_national_person_needs_non_repudiation(root: Issued) -> None:
    leaf = make_leaf(
        root,
        policy_der=UA_ONLY,
        statements=qc_statements((UA_QC_STATEMENT, None), (ETSI_QC_SSCD, None)),
        non_repudiation=False,
    )
    assert _assess(root, leaf) == QualificationVerdict(
        Qualification.ADESIG_QC,
        "the certificate lacks the nonRepudiation key usage a qualified signature needs",
    )


def test_esign_qc_type_with_the_stamp_eku_is_a_seal(root: Issued) -> None:
    # Conflicting vocabularies: a certificate that calls itself a seal in either is a seal.
    leaf = make_leaf(
        root,
        statements=qc_statements(
            (ETSI_QC_COMPLIANCE, None),
            (ETSI_QC_SSCD, None),
            (ETSI_QC_TYPE, seq(oid(QCT_ESIGN))),
        ),
        ekus=[UA_SEAL_EKU],
    )
    assert _assess(root, leaf) == QualificationVerdict(
        Qualification.QESEAL, "qualified electronic seal (qualified certificate, QSCD)"
    )


@pytest.mark.parametrize(
    "limit",
    [
        # A QcLimitValue-shaped value under the national OID.
        (UA_QC_STATEMENT, monetary_value("UAH", 1000000, 0)),
        # A malformed value under the ETSI QcLimitValue OID.
        (ETSI_QC_LIMIT_VALUE, utf8("1000000 UAH")),
    ],
)
def test_limit_value_quirks_do_not_disturb_qualification(
    root: Issued, limit: tuple[str, bytes]
) -> None:
    leaf = make_leaf(
        root, statements=qc_statements((ETSI_QC_COMPLIANCE, None), limit, (ETSI_QC_SSCD, None))
    )
    assert ua_markers(leaf.cert).qc_statements == {ETSI_QC_COMPLIANCE, limit[0], ETSI_QC_SSCD}
    assert _assess(root, leaf) == QualificationVerdict(
        Qualification.QESIG, "qualified electronic signature (qualified certificate, QSCD)"
    )


def test_two_qc_types_are_ambiguous(root: Issued) -> None:
    leaf = make_leaf(
        root,
        statements=qc_statements(
            (ETSI_QC_COMPLIANCE, None),
            (ETSI_QC_SSCD, None),
            (ETSI_QC_TYPE, seq(oid(QCT_ESIGN), oid(QCT_ESEAL))),
        ),
    )
    assert _assess(root, leaf) == QualificationVerdict(
        Qualification.ADESEAL,
        "the certificate declares more than one QcType, so its type is ambiguous",
    )


def test_malformed_qc_type_claims_nothing(root: Issued) -> None:
    leaf = make_leaf(
        root,
        statements=qc_statements(
            (ETSI_QC_COMPLIANCE, None), (ETSI_QC_SSCD, None), (ETSI_QC_TYPE, utf8("esign"))
        ),
    )
    assert _assess(root, leaf) == QualificationVerdict(
        Qualification.ADESIG,
        "the certificate's QC statements or extensions cannot be parsed, so it claims "
        "no qualification",
    )


def test_unparseable_qc_statements_extension_claims_nothing(root: Issued) -> None:
    leaf = make_leaf(root, policy_der=UA_ONLY, statements=b"\x30\x05\x06\x03\x2a")
    assert ua_markers(leaf.cert).qc_statements == frozenset()
    assert _assess(root, leaf) == QualificationVerdict(
        Qualification.ADESIG,
        "the certificate's QC statements or extensions cannot be parsed, so it claims "
        "no qualification",
    )


def _listed(root: Issued, qualifiers: frozenset[Qualifier]) -> TrustStore:
    """The root as a trusted-list CA/QC service whose qualifiers hit the national policy."""
    registry = TSPRegistry()
    info = BaseServiceInformation(
        service_type=CA_QC_URI,
        service_name="Тестовий ЦСК",
        valid_from=NOW - timedelta(days=365),
        valid_until=None,
        provider_certs=(root.cert,),
        additional_info_certificate_type=frozenset(),
        other_additional_info=frozenset(),
    )
    criteria = CriteriaList(
        combine_as=CriteriaCombination.ALL,
        criteria=frozenset({PolicySetCriterion(frozenset({UA_QUALIFIED_POLICY}))}),
    )
    registry.register_ca(
        CAServiceInformation(
            base_info=info,
            qualifications=frozenset({TlQualification(qualifiers, criteria)}),
            expired_certs_revocation_info=None,
        )
    )
    return TrustStore(registry=registry, anchors=(root.cert,), sources=("tl",), fingerprint="tl")


@pytest.mark.parametrize(
    ("qualifiers", "qscd_in_cert", "expected"),
    [
        (
            frozenset({Qualifier.NOT_QUALIFIED}),
            True,
            QualificationVerdict(Qualification.ADESIG, NOT_QUALIFIED),
        ),
        (
            frozenset({Qualifier.LEGAL_PERSON}),
            True,
            QualificationVerdict(Qualification.ADESIG, NOT_QUALIFIED),
        ),
        (
            frozenset({Qualifier.NO_QSCD}),
            True,
            QualificationVerdict(Qualification.ADESIG_QC, NO_QSCD),
        ),
        (
            frozenset({Qualifier.WITH_QSCD}),
            False,
            QualificationVerdict(Qualification.QESIG, UA_QES),
        ),
        (
            frozenset({Qualifier.QSCD_MANAGED_ON_BEHALF}),
            False,
            QualificationVerdict(Qualification.QESIG, UA_QES),
        ),
    ],
)
def test_trusted_list_qualifiers_apply_to_the_national_claim(
    root: Issued,
    qualifiers: frozenset[Qualifier],
    qscd_in_cert: bool,
    expected: QualificationVerdict,
) -> None:
    statements = [(UA_QC_STATEMENT, None)]
    if qscd_in_cert:
        statements.append((ETSI_QC_SSCD, None))
    leaf = make_leaf(root, policy_der=UA_ONLY, statements=qc_statements(*statements))
    verdict = assess(
        trust=_listed(root, qualifiers),
        path=ValidationPath(CertTrustAnchor(root.cert), [], leaf.cert),
        cert=leaf.cert,
        at=NOW,
    )
    assert verdict == expected
