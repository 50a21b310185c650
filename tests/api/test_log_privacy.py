"""No personal data in the service log at INFO or above: no RNOKPP, no patient, no
requisition number (a bearer secret for an unaddressed referral)."""

from __future__ import annotations

import logging

import pytest

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.signatures.identity import signer_identity
from tests import signed_content
from tests.api.conftest import Api
from tests.api.submitting import submit

PATIENT = "7781000001"


def test_submissions_and_refusals_log_no_personal_data(
    api: Api, pki: DevPki, caplog: pytest.LogCaptureFixture
) -> None:
    doctor = signer_identity(pki.cert("doctor-ecdsa"))
    # doctor2-ecdsa works at facility B: facility A's submission of it is refused.
    other = signer_identity(pki.cert("doctor2-ecdsa"))
    referral = signed_content.referral(pki, patient=PATIENT)
    signed = sign_cades(pki, referral, signer="doctor-ecdsa", level="B-LT")
    foreign = sign_cades(pki, referral, signer="doctor2-ecdsa", level="B-LT")
    with caplog.at_level(logging.INFO, logger="docex"), api.client("a") as a:
        accepted = submit(a, signed, referral, patient_ref=PATIENT)
        assert accepted.status_code == 201, accepted.text
        refused = submit(a, foreign, referral, patient_ref=PATIENT)
        assert refused.status_code == 403
        # The caller is told who was refused; the log is not.
        assert f"RNOKPP {other.rnokpp}" in refused.json()["detail"]
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert f"accepted document {accepted.json()['id']}" in logged
    assert "reason=signer-not-authorized" in logged or "refused document" in logged
    requisition = accepted.json()["referral"]["requisition_number"]
    for secret in (doctor.rnokpp, other.rnokpp, PATIENT, requisition):
        assert secret is not None
        assert secret not in logged, secret
