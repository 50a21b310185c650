"""The report's wire form: what a verification process sends back is the same report.

Reports cross a pipe from the verification processes as nested tuples of plain values
(:func:`report_to_wire`, used by ``ValidationReport.__reduce__``); the caller must get,
field for field, the report the worker made, over real reports of every kind the repo's
samples give (passed, failed, indeterminate, PAdES, DSTU) and over a report whose every
optional field is set, with times outside UTC. The JSON form, written out field by
field for speed, must stay what walking the dataclasses gives (:func:`_walked`).
"""

from __future__ import annotations

import pickle
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.errors import InputError
from docex.signatures.isolation import IsolatedVerifier, VerifierConfig
from docex.signatures.report import (
    CertificateInfo,
    Check,
    CheckOutcome,
    DocumentInfo,
    Indication,
    Qualification,
    RevocationEvidence,
    SignatureReport,
    SignerIdentity,
    SubIndication,
    TimestampInfo,
    ValidationReport,
    report_from_wire,
    report_to_wire,
)
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier
from tests.signatures.conftest import CONTENT, DEV_TRUST

DATA = Path(__file__).resolve().parents[1] / "data"
# The DSS samples (CAdES and PAdES, broken ones among them) and UAPKI's DSTU signatures.
SAMPLES = sorted([*(DATA / "dss").glob("validation__*"), *(DATA / "ua" / "uapki").glob("*.p7s")])
UAPKI_TIME = datetime(2023, 9, 19, 18, 30, tzinfo=UTC)


def _sample_reports() -> list[ValidationReport]:
    reports = []
    with Verifier(load_trust_store([DEV_TRUST])) as verifier:
        for path in SAMPLES:
            detached = path.with_suffix(".data")
            content = detached.read_bytes() if detached.exists() else None
            try:
                reports.append(verifier.verify(path.read_bytes(), content=content, at=UAPKI_TIME))
            except InputError:
                continue  # not a signature docex reads: no report to carry
        # And a qualified one that passes: the dev PKI signs now, so validate now.
        signed = sign_cades(DevPki.load(), CONTENT, signer="doctor-ecdsa", level="B-LT")
        reports.append(verifier.verify(signed, content=CONTENT, at=datetime.now(UTC)))
    return reports


@pytest.fixture(scope="module")
def sample_reports() -> list[ValidationReport]:
    return _sample_reports()


def _assert_same(got: ValidationReport, want: ValidationReport) -> None:
    assert got == want
    # Equality compares instants; the JSON form also shows each time's zone.
    assert got.to_dict() == want.to_dict()


def test_samples_give_reports_of_every_verdict(sample_reports: list[ValidationReport]) -> None:
    verdicts = {r.indication for r in sample_reports}
    assert len(sample_reports) >= 15
    assert verdicts == {Indication.TOTAL_FAILED, Indication.INDETERMINATE, Indication.TOTAL_PASSED}
    assert {r.document.kind for r in sample_reports} == {"cades", "pades"}


def test_wire_form_round_trips_every_sample(sample_reports: list[ValidationReport]) -> None:
    for report in sample_reports:
        _assert_same(report_from_wire(report_to_wire(report)), report)


def test_pickle_carries_the_wire_form(sample_reports: list[ValidationReport]) -> None:
    for report in sample_reports:
        encoded = pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL)
        _assert_same(pickle.loads(encoded), report)  # noqa: S301  # our own report
        # No enum or dataclass object is pickled: only the rebuilding function is named.
        assert b"Indication" not in encoded
        assert b"SignatureReport" not in encoded


KYIV = timezone(timedelta(hours=3))


def _full_report() -> ValidationReport:
    """Every optional field set, times in UTC, in another zone and naive-free."""
    at = datetime(2025, 6, 1, 10, 0, 0, 123456, tzinfo=UTC)
    signature = SignatureReport(
        id="S-1",
        format="CAdES-BASELINE-LT",
        indication=Indication.INDETERMINATE,
        sub_indication=SubIndication.TRY_LATER,
        qualification=Qualification.ADESIG_QC,
        signer=SignerIdentity(
            subject="CN=Лікар", common_name="Лікар", organization="Заклад", rnokpp="1", edrpou="2"
        ),
        claimed_signing_time=at.astimezone(KYIV),
        timestamp_time=at + timedelta(seconds=1),
        best_signature_time=at,
        certificate_chain=(
            CertificateInfo("CN=a", "CN=b", "1", "ab", at - timedelta(days=1), at.astimezone(KYIV)),
        ),
        revocation=(
            RevocationEvidence("ocsp", "embedded", "CN=o", at, None, "cd"),
            RevocationEvidence("crl", "fetched", "CN=c", at.astimezone(KYIV), at, "ef"),
        ),
        timestamps=(
            TimestampInfo(
                "signature",
                at,
                "CN=tsa",
                Indication.INDETERMINATE,
                "not configured",
                sub_indication=SubIndication.NO_POE,
                qualified=None,
                tsa_service=None,
            ),
            TimestampInfo(
                "content", at, "CN=tsa", Indication.TOTAL_PASSED, "ok", None, True, "svc (cfg)"
            ),
        ),
        checks=(
            Check("signature", CheckOutcome.PASSED, "ok"),
            Check("revocation", CheckOutcome.INDETERMINATE, "no answer"),
        ),
        layer=1,
    )
    bare = SignatureReport(
        id="S-2",
        format="CMS-NOT-ETSI",
        indication=Indication.TOTAL_FAILED,
        sub_indication=None,
        qualification=Qualification.NA,
        signer=None,
        claimed_signing_time=None,
        timestamp_time=None,
        best_signature_time=at.astimezone(KYIV),
        certificate_chain=(),
        revocation=(),
        timestamps=(),
        checks=(),
    )
    return ValidationReport(
        indication=Indication.TOTAL_FAILED,
        sub_indication=SubIndication.HASH_FAILURE,
        qualification=Qualification.NA,
        validation_time=at.astimezone(KYIV),
        document=DocumentInfo(kind="cades", sha256="00", size=3, detached=True),
        signatures=(signature, bare),
        online=True,
    )


def test_every_field_and_zone_survives() -> None:
    report = _full_report()
    back = report_from_wire(report_to_wire(report))
    _assert_same(back, report)
    assert back.validation_time.utcoffset() == timedelta(hours=3)
    assert back.signatures[0].revocation[0].next_update is None
    assert back.signatures[1].signer is None
    assert pickle.loads(pickle.dumps(report)) == report  # noqa: S301  # our own report


def test_a_verification_process_sends_the_report_it_made() -> None:
    content = CONTENT
    signed = sign_cades(DevPki.load(), content, signer="doctor-ecdsa", level="B-LT")
    now = datetime.now(UTC)
    config = VerifierConfig(trust=(str(DEV_TRUST),))
    with IsolatedVerifier(config, workers=1) as isolated, config.build() as local:
        got = isolated.verify(signed, content=content, at=now)
        want = local.verify(signed, content=content, at=now)
    assert (got.indication, got.qualification) == (Indication.TOTAL_PASSED, Qualification.QESIG)
    _assert_same(got, want)


def _walked(value: Any) -> Any:
    """The JSON form by walking the dataclasses: the reference ``to_dict`` must equal."""
    if is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _walked(getattr(value, f.name)) for f in fields(value)}
        if isinstance(value, SignatureReport | ValidationReport):
            out["message"] = value.message
        return out
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_walked(v) for v in value]
    return value


def test_to_dict_is_the_walk_of_every_field(sample_reports: list[ValidationReport]) -> None:
    for report in [*sample_reports, _full_report()]:
        got = report.to_dict()
        want = _walked(report)
        assert got == want
        # The same keys in the same order: the stored JSON reads as before.
        assert list(got) == list(want)
        for mine, walked in zip(got["signatures"], want["signatures"], strict=True):
            assert list(mine) == list(walked)
        assert ValidationReport.from_dict(got) == report
