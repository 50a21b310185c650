"""The one table from certificate status to ETSI verdict (docex.signatures.verdicts).

The end-to-end verdicts are in test_verdicts.py and the conformance tests; these pin the
rule itself: which sub-indications are failures, what each certificate status becomes, and
how the signature's own times override path validation's status.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from docex.devpki.pki import DevPki
from docex.signatures.paths import CertEvaluation, CertStatus
from docex.signatures.report import Indication, SubIndication
from docex.signatures.verdicts import (
    FAILED_SUBINDICATIONS,
    STATUS_FINDINGS,
    Finding,
    StatusFacts,
    certificate_finding,
    effective_status,
    indication_for,
)


def _facts(pki: DevPki, status: CertStatus, **changes: Any) -> StatusFacts:
    cert = pki.cert("doctor-ecdsa")
    at = cert.not_valid_before + timedelta(days=1)
    facts = StatusFacts(
        evaluation=CertEvaluation(status=status, message=f"path says {status.value}"),
        cert=cert,
        at=at,
        claimed_time=at,
        has_poe=False,
    )
    return replace(facts, **changes)


def test_failed_subindications_are_those_etsi_pairs_with_total_failed() -> None:
    assert {s for s in SubIndication if indication_for(s) is Indication.TOTAL_FAILED} == {
        SubIndication.FORMAT_FAILURE,
        SubIndication.HASH_FAILURE,
        SubIndication.SIG_CRYPTO_FAILURE,
        SubIndication.REVOKED,
        SubIndication.EXPIRED,
        SubIndication.NOT_YET_VALID,
    }
    assert indication_for(SubIndication.REVOKED_NO_POE) is Indication.INDETERMINATE
    assert indication_for(SubIndication.TRY_LATER) is Indication.INDETERMINATE


def test_a_finding_derives_its_indication() -> None:
    assert Finding(SubIndication.HASH_FAILURE, "message_digest", "x").indication is (
        Indication.TOTAL_FAILED
    )
    assert Finding(SubIndication.NO_POE, "signing_time", "x").indication is (
        Indication.INDETERMINATE
    )


def test_every_status_but_ok_has_a_row() -> None:
    assert set(STATUS_FINDINGS) == set(CertStatus) - {CertStatus.OK}
    assert FAILED_SUBINDICATIONS <= set(SubIndication)


@pytest.mark.parametrize(
    ("status", "sub", "check", "message"),
    [
        (CertStatus.CA_REVOKED, SubIndication.REVOKED_CA_NO_POE, "revocation", "path says"),
        (
            CertStatus.NO_CHAIN,
            SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
            "certificate_path",
            "does not chain to a configured trust anchor",
        ),
        (
            CertStatus.NO_REVOCATION_DATA,
            SubIndication.TRY_LATER,
            "revocation",
            "no usable revocation data",
        ),
        (
            CertStatus.WEAK_ALGORITHM,
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            "certificate_path",
            "path says weak_algorithm",
        ),
        (
            CertStatus.INVALID,
            SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
            "certificate_path",
            "path says invalid",
        ),
        (
            CertStatus.BOUND_EXCEEDED,
            SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
            "certificate_path",
            "path says bound_exceeded",
        ),
        (
            CertStatus.EXPIRED,
            SubIndication.OUT_OF_BOUNDS_NO_POE,
            "validity",
            "no time-stamp proves earlier",
        ),
        (CertStatus.REVOKED, SubIndication.REVOKED_NO_POE, "revocation", "nothing proves"),
    ],
)
def test_status_rows(
    pki: DevPki, status: CertStatus, sub: SubIndication, check: str, message: str
) -> None:
    finding = certificate_finding(_facts(pki, status))
    assert finding is not None
    assert (finding.indication, finding.sub_indication, finding.check) == (
        Indication.INDETERMINATE,
        sub,
        check,
    )
    assert message in finding.message


def test_ok_is_no_finding(pki: DevPki) -> None:
    assert certificate_finding(_facts(pki, CertStatus.OK)) is None


def test_revoked_before_the_claimed_signing_time_is_a_proven_failure(pki: DevPki) -> None:
    revoked_at = _facts(pki, CertStatus.REVOKED).at - timedelta(hours=1)
    facts = _facts(
        pki,
        CertStatus.REVOKED,
        evaluation=CertEvaluation(
            status=CertStatus.REVOKED, message="revoked", revocation_time=revoked_at
        ),
    )
    finding = certificate_finding(facts)
    assert finding is not None
    assert (finding.indication, finding.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.REVOKED,
    )
    assert f"revoked at {revoked_at.isoformat()}, before the claimed signing time" in (
        finding.message
    )


def test_ok_outside_the_validity_period_is_expired_or_not_yet_valid(pki: DevPki) -> None:
    cert = pki.cert("doctor-ecdsa")
    late = cert.not_valid_after + timedelta(days=1)
    early = cert.not_valid_before - timedelta(days=1)
    assert effective_status(_facts(pki, CertStatus.OK, at=late, claimed_time=None)) is (
        CertStatus.EXPIRED
    )
    assert effective_status(_facts(pki, CertStatus.OK, at=early, claimed_time=None)) is (
        CertStatus.NOT_YET_VALID
    )


def test_a_claim_before_validity_is_not_yet_valid_unless_revoked(pki: DevPki) -> None:
    cert = pki.cert("doctor-ecdsa")
    early = cert.not_valid_before - timedelta(days=1)
    finding = certificate_finding(_facts(pki, CertStatus.NO_CHAIN, claimed_time=early))
    assert finding is not None
    assert (finding.indication, finding.sub_indication, finding.check) == (
        Indication.TOTAL_FAILED,
        SubIndication.NOT_YET_VALID,
        "validity",
    )
    assert effective_status(_facts(pki, CertStatus.CA_REVOKED, claimed_time=early)) is (
        CertStatus.CA_REVOKED
    )
