"""CAdES verification over the development PKI: every good kind, every defect, exactly."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.errors import NotASignatureError
from docex.signatures.report import (
    CheckOutcome,
    Indication,
    Qualification,
    SubIndication,
    ValidationReport,
)
from docex.signatures.verifier import Verifier
from tests.signatures import tamper
from tests.signatures.conftest import CONTENT

REVOKED_AT = datetime(2026, 1, 15, tzinfo=UTC)
BEFORE_REVOCATION = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)


def verdict(report: ValidationReport) -> tuple[Indication, SubIndication | None, Qualification]:
    return report.indication, report.sub_indication, report.qualification


@pytest.mark.parametrize(
    ("signer", "detached", "qualification"),
    [
        ("doctor-ecdsa", True, Qualification.QESIG),
        ("doctor-rsa", True, Qualification.QESIG),
        ("doctor2-ecdsa", False, Qualification.QESIG),
        ("doctor-rsa", False, Qualification.QESIG),
        ("facility-seal", True, Qualification.QESEAL),
    ],
)
def test_long_term_signatures_pass_with_their_qualification(
    pki: DevPki, verifier: Verifier, signer: str, detached: bool, qualification: Qualification
) -> None:
    sig = sign_cades(pki, CONTENT, signer=signer, level="B-LT", detached=detached)
    report = verifier.verify(sig, content=CONTENT if detached else None)
    assert verdict(report) == (Indication.TOTAL_PASSED, None, qualification)
    assert report.accepted
    (s,) = report.signatures
    assert s.format == "CAdES-BASELINE-LT"
    assert s.timestamp_time is not None
    assert s.best_signature_time == s.timestamp_time
    assert all(c.outcome is CheckOutcome.PASSED for c in s.checks)
    assert [c.sha256 for c in s.certificate_chain][-1] == pki.cert("root-ca").sha256.hex()
    assert {e.kind for e in s.revocation} == {"ocsp", "crl"}
    assert report.document.detached is detached


def test_signer_identity_comes_from_the_certificate_subject(
    pki: DevPki, verifier: Verifier
) -> None:
    report = verifier.verify(
        sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT"), content=CONTENT
    )
    signer = report.signatures[0].signer
    assert signer is not None
    subject = pki.cert("doctor-ecdsa").subject.native
    assert signer.rnokpp == subject["serial_number"].removeprefix("TINUA-")
    assert signer.edrpou == subject["organization_identifier"].removeprefix("NTRUA-")
    seal = (
        verifier.verify(
            sign_cades(pki, CONTENT, signer="facility-seal", level="B-LT"), content=CONTENT
        )
        .signatures[0]
        .signer
    )
    assert seal is not None
    assert seal.rnokpp is None
    assert seal.edrpou is not None


@pytest.mark.parametrize("level", ["B-B", "B-T"])
def test_without_revocation_data_offline_is_never_passed(
    pki: DevPki, verifier: Verifier, level: str
) -> None:
    sig = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level=level)
    report = verifier.verify(sig, content=CONTENT)
    assert verdict(report) == (Indication.INDETERMINATE, SubIndication.TRY_LATER, Qualification.NA)
    assert report.signatures[0].format == f"CAdES-BASELINE-{level.removeprefix('B-')}"


def test_encodings_der_pem_and_base64_are_equivalent(pki: DevPki, verifier: Verifier) -> None:
    der = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT")
    b64 = base64.b64encode(der)
    pem = b"-----BEGIN PKCS7-----\n" + base64.encodebytes(der) + b"-----END PKCS7-----\n"
    for data in (der, b64, pem, b64.decode().encode() + b"\n"):
        assert verdict(verifier.verify(data, content=CONTENT)) == (
            Indication.TOTAL_PASSED,
            None,
            Qualification.QESIG,
        )


@pytest.fixture(scope="module")
def good_detached(pki: DevPki) -> bytes:
    return sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT")


@pytest.fixture(scope="module")
def good_attached(pki: DevPki) -> bytes:
    return sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT", detached=False)


def test_wrong_detached_content_is_a_hash_failure(good_detached: bytes, verifier: Verifier) -> None:
    report = verifier.verify(good_detached, content=CONTENT + b" ")
    assert verdict(report) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
        Qualification.NA,
    )
    assert report.message == "the signed content does not match the message digest in the signature"


def test_changed_attached_content_is_a_hash_failure(
    good_attached: bytes, verifier: Verifier
) -> None:
    report = verifier.verify(tamper.change_attached_content(good_attached, CONTENT[:-1] + b"X"))
    assert verdict(report)[:2] == (Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE)


def test_attached_content_differing_from_given_content_fails(
    good_attached: bytes, verifier: Verifier
) -> None:
    report = verifier.verify(good_attached, content=b"something else")
    assert verdict(report)[:2] == (Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE)
    assert "differs from the content attached" in report.message


def test_detached_signature_without_content_is_indeterminate(
    good_detached: bytes, verifier: Verifier
) -> None:
    report = verifier.verify(good_detached)
    assert verdict(report)[:2] == (Indication.INDETERMINATE, SubIndication.SIGNED_DATA_NOT_FOUND)


def test_changed_signed_attribute_breaks_the_signature(
    good_detached: bytes, verifier: Verifier
) -> None:
    report = verifier.verify(tamper.change_signing_time(good_detached, year=2024), content=CONTENT)
    assert verdict(report)[:2] == (Indication.TOTAL_FAILED, SubIndication.SIG_CRYPTO_FAILURE)


def test_flipped_signature_byte_breaks_the_signature(
    good_detached: bytes, verifier: Verifier
) -> None:
    report = verifier.verify(tamper.flip_signature_byte(good_detached), content=CONTENT)
    assert verdict(report)[:2] == (Indication.TOTAL_FAILED, SubIndication.SIG_CRYPTO_FAILURE)


def test_timestamp_from_another_signature_is_ignored(
    pki: DevPki, good_detached: bytes, verifier: Verifier
) -> None:
    # EN 319 102-1 §5.5.4 3a): a time-stamp whose imprint does not match is removed from
    # the set; the intact signature stands on its own (level B: no valid time-stamp).
    donor = sign_cades(pki, b"other document", signer="doctor-ecdsa", level="B-T")
    report = verifier.verify(tamper.transplant_timestamp(good_detached, donor), content=CONTENT)
    assert verdict(report) == (Indication.TOTAL_PASSED, None, Qualification.QESIG)
    (s,) = report.signatures
    assert s.format == "CAdES-BASELINE-B"
    assert s.timestamp_time is None
    assert [t.indication for t in s.timestamps] == [Indication.TOTAL_FAILED]
    assert "imprint" in s.timestamps[0].message
    assert "broken and is ignored" in report.message


def test_signing_certificate_attribute_naming_another_certificate(
    pki: DevPki, verifier: Verifier
) -> None:
    sig = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B")
    forged = tamper.resign_with_other_ess(
        sig, key=pki.key("doctor-ecdsa"), other=pki.cert("doctor2-ecdsa")
    )
    report = verifier.verify(forged, content=CONTENT)
    assert verdict(report)[:2] == (
        Indication.INDETERMINATE,
        SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
    )


def test_revoked_before_signing_is_total_failed(pki: DevPki, verifier: Verifier) -> None:
    report = verifier.verify(
        sign_cades(pki, CONTENT, signer="revoked", level="B-LT"), content=CONTENT
    )
    assert verdict(report) == (Indication.TOTAL_FAILED, SubIndication.REVOKED, Qualification.NA)
    assert REVOKED_AT.isoformat() in report.message


def test_revoked_after_a_timestamped_signing_time_passes(pki: DevPki, verifier: Verifier) -> None:
    sig = sign_cades(
        pki,
        CONTENT,
        signer="revoked",
        level="B-LT",
        signing_time=BEFORE_REVOCATION,
        timestamp_time=BEFORE_REVOCATION,
    )
    report = verifier.verify(sig, content=CONTENT)
    assert verdict(report) == (Indication.TOTAL_PASSED, None, Qualification.QESIG)
    assert report.signatures[0].timestamp_time == BEFORE_REVOCATION


def test_revoked_with_only_a_claimed_earlier_time_has_no_proof(
    pki: DevPki, verifier: Verifier
) -> None:
    # The signer claims a time before revocation, but only the current revocation data
    # (revoked) is available and no time-stamp proves the claim.
    sig = sign_cades(pki, CONTENT, signer="revoked", level="B-B", signing_time=BEFORE_REVOCATION)
    now_data = _with_current_revocation_data(pki, sig, "revoked")
    report = verifier.verify(now_data, content=CONTENT)
    assert verdict(report)[:2] == (Indication.INDETERMINATE, SubIndication.REVOKED_NO_POE)


def test_expired_certificate_has_no_proof_of_existence(pki: DevPki, verifier: Verifier) -> None:
    report = verifier.verify(
        sign_cades(pki, CONTENT, signer="expired", level="B-LT"), content=CONTENT
    )
    assert verdict(report) == (
        Indication.INDETERMINATE,
        SubIndication.OUT_OF_BOUNDS_NO_POE,
        Qualification.NA,
    )


def test_untrusted_root_has_no_chain(pki: DevPki, verifier: Verifier) -> None:
    report = verifier.verify(
        sign_cades(pki, CONTENT, signer="untrusted", level="B-LT"), content=CONTENT
    )
    assert verdict(report) == (
        Indication.INDETERMINATE,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
        Qualification.NA,
    )


@pytest.mark.parametrize(
    ("signer", "qualification", "reason"),
    [
        ("nonqualified", Qualification.ADESIG, "not a qualified certificate"),
        ("no-qscd", Qualification.ADESIG_QC, "qualified signature device"),
        ("no-nonrep", Qualification.ADESIG_QC, "nonRepudiation"),
    ],
)
def test_valid_but_not_qualified(
    pki: DevPki, verifier: Verifier, signer: str, qualification: Qualification, reason: str
) -> None:
    report = verifier.verify(sign_cades(pki, CONTENT, signer=signer, level="B-LT"), content=CONTENT)
    assert verdict(report) == (Indication.TOTAL_PASSED, None, qualification)
    assert not report.accepted
    assert reason in report.message


def test_sha1_is_a_crypto_constraints_failure(pki: DevPki, verifier: Verifier) -> None:
    report = verifier.verify(
        sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT", digest="sha1"),
        content=CONTENT,
    )
    assert verdict(report)[:2] == (
        Indication.INDETERMINATE,
        SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
    )
    assert "sha1" in report.message


def test_validation_at_a_past_time(pki: DevPki, verifier: Verifier) -> None:
    sig = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT")
    at = datetime(2027, 1, 1, tzinfo=UTC)
    report = verifier.verify(sig, content=CONTENT, at=at)
    assert report.validation_time == at
    assert verdict(report) == (Indication.TOTAL_PASSED, None, Qualification.QESIG)


@pytest.mark.parametrize(
    "data",
    [b"", b"   \n", b"not a signature at all", b"\x30\x82\xff\xff\x06", bytes(range(256)) * 4],
)
def test_garbage_is_not_a_signature(verifier: Verifier, data: bytes) -> None:
    with pytest.raises(NotASignatureError):
        verifier.verify(data, content=CONTENT)


def test_truncated_signature_is_not_a_signature(good_detached: bytes, verifier: Verifier) -> None:
    for cut in (10, len(good_detached) // 2, len(good_detached) - 1):
        with pytest.raises(NotASignatureError):
            verifier.verify(good_detached[:cut], content=CONTENT)


def test_report_json_shape(good_detached: bytes, verifier: Verifier) -> None:
    data = verifier.verify(good_detached, content=CONTENT).to_dict()
    assert data["report_version"] == "1"
    assert data["indication"] == "TOTAL_PASSED"
    assert data["sub_indication"] is None
    assert data["qualification"] == "QESig"
    (sig,) = data["signatures"]
    assert set(sig) >= {
        "indication",
        "sub_indication",
        "qualification",
        "signer",
        "claimed_signing_time",
        "timestamp_time",
        "certificate_chain",
        "revocation",
        "checks",
        "message",
    }
    assert sig["signer"]["rnokpp"].isdigit()
    assert all(set(c) == {"name", "outcome", "message"} for c in sig["checks"])
    assert all(len(c["sha256"]) == 64 for c in sig["certificate_chain"])


def _with_current_revocation_data(pki: DevPki, der: bytes, signer: str) -> bytes:
    """Attach today's OCSP response and CRLs to a B-B signature, without a time-stamp."""
    from asn1crypto import cms

    from docex.signatures.cades_asn1 import RevocationValues

    now = datetime.now(UTC)
    info = tamper.load(der)
    si = tamper.signer_info(info)
    basic = pki.ocsp_response(signer, at=now)["response_bytes"]["response"].parsed
    values = RevocationValues(
        {
            "crl_vals": [pki.crl(at=now), pki.crl(at=now, issuer="root-ca")],
            "ocsp_vals": [basic],
        }
    )
    si["unsigned_attrs"] = cms.CMSAttributes(
        [cms.CMSAttribute({"type": "revocation_values", "values": [values]})]
    )
    return tamper.encode(info)


def test_signature_dated_before_the_certificate_is_not_yet_valid(
    pki: DevPki, verifier: Verifier
) -> None:
    not_before = pki.cert("doctor-ecdsa").not_valid_before
    claimed = datetime(not_before.year - 1, 6, 1, tzinfo=UTC)
    sig = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B", signing_time=claimed)
    report = verifier.verify(sig, content=CONTENT)
    assert verdict(report) == (
        Indication.TOTAL_FAILED,
        SubIndication.NOT_YET_VALID,
        Qualification.NA,
    )
    assert report.signatures[0].claimed_signing_time == claimed
