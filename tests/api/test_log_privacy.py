"""No personal data in the service log at INFO or above: no RNOKPP, no patient, no
requisition number (a bearer secret for an unaddressed referral)."""

from __future__ import annotations

import logging

import pytest

from docex.api.log_privacy import ACCESS_LOGGER, AccessLogRedaction, pseudonym
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.signatures.identity import signer_identity
from tests import signed_content
from tests.api.conftest import Api
from tests.api.parties import PATIENT as PARTIES_PATIENT
from tests.api.parties import Parties
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


def _everything_logged(records: list[logging.LogRecord]) -> str:
    """Every INFO+ record as a log file would show it: message and traceback."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(r) for r in records if r.levelno >= logging.INFO)


def test_a_whole_referral_flow_logs_no_personal_data_anywhere(
    api: Api, pki: DevPki, caplog: pytest.LogCaptureFixture
) -> None:
    """Every logger, uvicorn's access log included, over submission, refusal, listing by
    patient, taking by requisition number, the result, and refused tokens."""
    doctor = signer_identity(pki.cert("doctor-ecdsa"))
    performer = signer_identity(pki.cert("doctor2-ecdsa"))
    parties = Parties(api, pki)
    access = logging.getLogger(ACCESS_LOGGER)
    # The test server runs uvicorn at WARNING and its access logger does not propagate:
    # listen to it as a deployment at INFO would.
    access_level = access.level
    access.setLevel(logging.INFO)
    access.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO):
            referral = parties.refer()
            number = referral["referral"]["requisition_number"]
            foreign = parties.submit(parties.a, "doctor2-ecdsa", "referral", "Not A's doctor")
            assert foreign.status_code == 403, foreign.text
            listed = parties.a.get("/api/v1/documents", params={"patient": PARTIES_PATIENT})
            assert listed.status_code == 200, listed.text
            assert [d["id"] for d in listed.json()["items"]] == [referral["id"]]
            taken = parties.b.post(
                "/api/v1/referrals/take",
                json={"requisition_number": number, "patient_ref": PARTIES_PATIENT},
            )
            assert taken.status_code == 200, taken.text
            result = parties.result(referral["id"])
            assert result.status_code == 201, result.text
            with api.client(None) as anonymous:
                for bogus in ("nonsense", f"dxt_{'0' * 16}_{'x' * 43}"):
                    refused = anonymous.get(
                        "/api/v1/documents",
                        params={"patient": PARTIES_PATIENT},
                        headers={"Authorization": f"Bearer {bogus}"},
                    )
                    assert refused.status_code == 401
    finally:
        access.removeHandler(caplog.handler)
        access.setLevel(access_level)
        parties.close()
    # The test's own HTTP client logs the URLs it asks for; the server's records are the rest.
    server = [r for r in caplog.records if not (r.name == "httpx" and api.url in r.getMessage())]
    logged = _everything_logged(server)
    # The flow did reach the logs: the access log, and docex's own lines.
    key = api.runtime.settings.token_pepper.get_secret_value().encode()
    hidden = f"/api/v1/documents?patient={pseudonym(PARTIES_PATIENT, key=key)}"
    assert logged.count(f'"GET {hidden} HTTP/1.1" 200') == 1, logged
    assert logged.count(f'"GET {hidden} HTTP/1.1" 401') == 2, logged
    assert f"accepted document {referral['id']}" in logged
    assert '"POST /api/v1/referrals/take HTTP/1.1" 200' in logged
    for secret in (
        doctor.rnokpp,
        performer.rnokpp,
        PARTIES_PATIENT,
        number,
        number.replace("-", ""),
    ):
        assert secret is not None
        assert secret not in logged, secret


def test_the_access_log_keeps_every_parameter_but_the_patient_s_value() -> None:
    redaction = AccessLogRedaction(key=b"k" * 32)
    hidden = pseudonym("7781000001", key=b"k" * 32)
    assert hidden != pseudonym("7781000001", key=b"j" * 32)
    assert len(hidden) == 13
    assert redaction.redact("/api/v1/documents?kind=referral&patient=7781000001&limit=5") == (
        f"/api/v1/documents?kind=referral&patient={hidden}&limit=5"
    )
    assert redaction.redact("/api/v1/documents?limit=5") == "/api/v1/documents?limit=5"
    record = logging.LogRecord(
        ACCESS_LOGGER,
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/v1/documents?patient=7781000001", "1.1", 200),
        None,
    )
    assert redaction.filter(record)
    assert record.getMessage() == (
        f'127.0.0.1:5000 - "GET /api/v1/documents?patient={hidden} HTTP/1.1" 200'
    )
