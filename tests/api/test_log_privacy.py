"""No personal data in the service log at INFO or above: no RNOKPP, no patient, no
requisition number (a bearer secret for an unaddressed referral)."""

from __future__ import annotations

import logging

import pytest

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.signatures.identity import signer_identity
from tests.api.conftest import REFERRAL, Api
from tests.api.submitting import submit

PATIENT = "patient-7781-secret"


def test_submissions_and_refusals_log_no_personal_data(
    api: Api, pki: DevPki, good_sig: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    doctor = signer_identity(pki.cert("doctor-ecdsa"))
    # doctor2-ecdsa works at facility B: facility A's submission of it is refused.
    other = signer_identity(pki.cert("doctor2-ecdsa"))
    foreign = sign_cades(pki, REFERRAL, signer="doctor2-ecdsa", level="B-LT")
    with caplog.at_level(logging.INFO, logger="docex"), api.client("a") as a:
        accepted = submit(a, good_sig, patient_ref=PATIENT)
        assert accepted.status_code == 201, accepted.text
        refused = submit(a, foreign, patient_ref=PATIENT)
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
