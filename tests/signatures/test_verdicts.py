"""Verdicts as ETSI EN 319 102-1 and EU DSS give them, over the development PKI.

Broken time-stamps are ignored, not fatal; evidence later than the validation time proves
nothing at it; a missing signing-certificate attribute is a format matter; a failed
signature is still described.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from asn1crypto import cms, tsp
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from docex.devpki.pdf import minimal_pdf
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades, sign_pades
from docex.signatures.report import (
    CheckOutcome,
    Indication,
    Qualification,
    SubIndication,
    ValidationReport,
)
from docex.signatures.verifier import Verifier
from tests.signatures import forge, tamper
from tests.signatures.conftest import CONTENT

DSS_1220 = Path(__file__).parents[1] / "data" / "dss-1220" / "CAdES-BpT_modified_ts_hash.p7m"
PAST = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def verdict(report: ValidationReport) -> tuple[Indication, SubIndication | None, Qualification]:
    return report.indication, report.sub_indication, report.qualification


# --- 1. A broken time-stamp is reported and ignored -------------------------------------


def test_broken_signature_timestamp_signature_is_ignored(pki: DevPki, verifier: Verifier) -> None:
    sig = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT")
    report = verifier.verify(forge.tsa_token_signature_flipped(sig), content=CONTENT)
    assert verdict(report) == (Indication.TOTAL_PASSED, None, Qualification.QESIG)
    (s,) = report.signatures
    # The LT data stays, but without a valid time-stamp the level is B, not T or LT.
    assert s.format == "CAdES-BASELINE-B"
    assert s.timestamp_time is None
    assert s.best_signature_time == report.validation_time
    (ts,) = s.timestamps
    assert (ts.kind, ts.indication) == ("signature", Indication.TOTAL_FAILED)
    assert ts.message == "time-stamp token signature is not valid"
    assert report.message == (
        "a signature time-stamp is broken and is ignored: time-stamp token signature is not valid"
    )
    failed = [c for c in s.checks if c.outcome is CheckOutcome.FAILED]
    assert [c.name for c in failed] == ["timestamps"]


def test_timestamp_imprint_mismatch_is_ignored(pki: DevPki, verifier: Verifier) -> None:
    good = sign_cades(pki, CONTENT, signer="doctor-rsa", level="B-LT")
    donor = sign_cades(pki, b"another document", signer="doctor-rsa", level="B-T")
    report = verifier.verify(tamper.transplant_timestamp(good, donor), content=CONTENT)
    assert verdict(report) == (Indication.TOTAL_PASSED, None, Qualification.QESIG)
    (ts,) = report.signatures[0].timestamps
    assert ts.indication is Indication.TOTAL_FAILED
    assert ts.message == (
        "the time-stamp's message imprint does not match the signature value (imprint mismatch)"
    )


def test_broken_content_timestamp_is_ignored(pki: DevPki, verifier: Verifier) -> None:
    # A signature over CONTENT whose content time-stamp covers other data: sign "other"
    # with a content time-stamp, then point the message digest at CONTENT and re-sign.
    other = forge.with_content_timestamp(pki, b"other data", "doctor-ecdsa")
    digest = hashlib.sha256(CONTENT).digest()

    def to_content(attrs: list[cms.CMSAttribute]) -> list[cms.CMSAttribute]:
        return [
            cms.CMSAttribute({"type": "message_digest", "values": [digest]})
            if a["type"].native == "message_digest"
            else a
            for a in attrs
        ]

    sig = forge.resign(pki, other, "doctor-ecdsa", to_content)
    sig = forge.with_revocation_data(pki, sig, "doctor-ecdsa", at=datetime.now(UTC))
    report = verifier.verify(sig, content=CONTENT)
    assert verdict(report) == (Indication.TOTAL_PASSED, None, Qualification.QESIG)
    (s,) = report.signatures
    assert s.format == "CAdES-BASELINE-B"
    (ts,) = s.timestamps
    assert (ts.kind, ts.indication) == ("content", Indication.TOTAL_FAILED)
    assert ts.message == (
        "the time-stamp's message imprint does not match the signed content (imprint mismatch)"
    )
    assert report.message.startswith("a content time-stamp is broken and is ignored")


def test_intact_content_timestamp_passes(pki: DevPki, verifier: Verifier) -> None:
    sig = forge.with_content_timestamp(pki, CONTENT, "doctor-ecdsa", long_term=True)
    report = verifier.verify(sig, content=CONTENT)
    assert verdict(report) == (Indication.TOTAL_PASSED, None, Qualification.QESIG)
    (s,) = report.signatures
    assert s.format == "CAdES-BASELINE-LT"
    kinds = {t.kind: t.indication for t in s.timestamps}
    assert kinds == {"content": Indication.TOTAL_PASSED, "signature": Indication.TOTAL_PASSED}


def test_dss_1220_modified_timestamp_hash_is_not_a_hash_failure(verifier: Verifier) -> None:
    # labels.json: intact. DSS itself refuses only to extend it (its time-stamp is broken).
    report = verifier.verify(DSS_1220.read_bytes())
    (s,) = report.signatures
    assert verdict(report)[:2] == (
        Indication.INDETERMINATE,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    )
    assert s.format == "CAdES-BASELINE-B"
    assert [t.indication for t in s.timestamps] == [Indication.TOTAL_FAILED]
    assert s.signer is not None
    assert s.signer.common_name == "CIUDADANO FICTICIO ACTIVO"


# --- 2. Validation time semantics -------------------------------------------------------


def test_validation_time_before_the_signature_cannot_pass(pki: DevPki, verifier: Verifier) -> None:
    sig = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT")
    at = datetime(2020, 1, 1, tzinfo=UTC)
    report = verifier.verify(sig, content=CONTENT, at=at)
    assert verdict(report) == (Indication.INDETERMINATE, SubIndication.NO_POE, Qualification.NA)
    (s,) = report.signatures
    assert s.claimed_signing_time is not None
    assert report.message == (
        "the signature is dated after the validation time 2020-01-01T00:00:00+00:00 "
        f"(its claimed signing time is {s.claimed_signing_time.isoformat()}): "
        "nothing proves it existed then"
    )
    # Its time-stamp is intact but does not exist yet at the validation time.
    (ts,) = s.timestamps
    assert ts.indication is Indication.INDETERMINATE
    assert "after the validation time 2020-01-01T00:00:00+00:00" in ts.message
    assert s.timestamp_time is None
    assert s.best_signature_time == at
    assert s.format == "CAdES-BASELINE-LT"


def test_timestamp_after_the_validation_time_proves_nothing(
    pki: DevPki, verifier: Verifier
) -> None:
    # Signed at PAST, time-stamped (and its revocation data gathered) a day later; as of
    # an hour after signing, neither the time-stamp nor that data exists yet.
    stamped = PAST + timedelta(days=1)
    sig = sign_cades(
        pki,
        CONTENT,
        signer="doctor-ecdsa",
        level="B-LT",
        signing_time=PAST,
        timestamp_time=stamped,
    )
    at = PAST + timedelta(hours=1)
    report = verifier.verify(sig, content=CONTENT, at=at)
    assert verdict(report)[:2] == (Indication.INDETERMINATE, SubIndication.TRY_LATER)
    (s,) = report.signatures
    (ts,) = s.timestamps
    assert ts.indication is Indication.INDETERMINATE
    assert ts.message == (
        f"generated at {stamped.isoformat()}, after the validation time {at.isoformat()}: "
        "it proves nothing as of then"
    )
    assert s.timestamp_time is None
    assert s.best_signature_time == at
    # The same signature as of a time after the time-stamp passes on it.
    later = verifier.verify(sig, content=CONTENT, at=stamped + timedelta(hours=1))
    assert verdict(later) == (Indication.TOTAL_PASSED, None, Qualification.QESIG)
    assert later.signatures[0].timestamp_time == stamped


def test_revocation_data_issued_after_the_validation_time_is_not_used(
    pki: DevPki, verifier: Verifier
) -> None:
    sig = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B", signing_time=PAST)
    issued = PAST + timedelta(days=2)
    sig = forge.with_revocation_data(pki, sig, "doctor-ecdsa", at=issued)
    before = verifier.verify(sig, content=CONTENT, at=PAST + timedelta(days=1))
    assert verdict(before)[:2] == (Indication.INDETERMINATE, SubIndication.TRY_LATER)
    after = verifier.verify(sig, content=CONTENT, at=issued + timedelta(hours=1))
    assert verdict(after) == (Indication.TOTAL_PASSED, None, Qualification.QESIG)


def test_content_timestamp_after_the_validation_time_dates_the_signature(
    pki: DevPki, verifier: Verifier
) -> None:
    # No claimed signing time at all: the content time-stamp alone shows the signature
    # was made after it (the signature signs the token).
    sig = forge.with_content_timestamp(pki, CONTENT, "doctor-ecdsa")

    def without_signing_time(attrs: list[cms.CMSAttribute]) -> list[cms.CMSAttribute]:
        return [a for a in attrs if a["type"].native != "signing_time"]

    sig = forge.resign(pki, sig, "doctor-ecdsa", without_signing_time)
    at = datetime.now(UTC) - timedelta(days=1)
    report = verifier.verify(sig, content=CONTENT, at=at)
    assert verdict(report)[:2] == (Indication.INDETERMINATE, SubIndication.NO_POE)
    (s,) = report.signatures
    assert s.claimed_signing_time is None
    (ts,) = s.timestamps
    assert report.message == (
        f"the signature is dated after the validation time {at.isoformat()} "
        f"(its content time-stamp is dated {ts.time.isoformat()}): nothing proves it existed then"
    )


def test_a_slightly_fast_signer_clock_is_tolerated(pki: DevPki, verifier: Verifier) -> None:
    now = datetime.now(UTC)
    sig = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B", signing_time=now)
    sig = forge.with_revocation_data(pki, sig, "doctor-ecdsa", at=now)
    report = verifier.verify(sig, content=CONTENT, at=now - timedelta(minutes=1))
    assert verdict(report) == (Indication.TOTAL_PASSED, None, Qualification.QESIG)


# --- 3. A missing signing-certificate attribute ------------------------------------------


def test_missing_signing_certificate_attribute_is_not_baseline(
    pki: DevPki, verifier: Verifier
) -> None:
    sig = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B")

    def without_ess(attrs: list[cms.CMSAttribute]) -> list[cms.CMSAttribute]:
        return [a for a in attrs if a["type"].native != "signing_certificate_v2"]

    sig = forge.resign(pki, sig, "doctor-ecdsa", without_ess)
    sig = forge.with_revocation_data(pki, sig, "doctor-ecdsa", at=datetime.now(UTC))
    report = verifier.verify(sig, content=CONTENT)
    # EU DSS: BBB_ICS_ISASCP in Signature Acceptance Validation, FAIL by default.
    assert verdict(report) == (
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
        Qualification.NA,
    )
    (s,) = report.signatures
    assert s.format == "CMS-NOT-ETSI"
    assert s.baseline_level is None
    assert report.message.startswith(
        "format not baseline: the signing-certificate attribute is missing"
    )
    assert s.signer is not None
    assert s.signer.rnokpp is not None
    # Everything else was checked and passed before the attribute decided.
    passed = {c.name for c in s.checks if c.outcome is CheckOutcome.PASSED}
    assert {"message_digest", "signature_value", "certificate_path", "key_usage"} <= passed


def test_missing_signing_certificate_attribute_with_broken_content_is_a_hash_failure(
    pki: DevPki, verifier: Verifier
) -> None:
    sig = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B")

    def without_ess(attrs: list[cms.CMSAttribute]) -> list[cms.CMSAttribute]:
        return [a for a in attrs if a["type"].native != "signing_certificate_v2"]

    report = verifier.verify(forge.resign(pki, sig, "doctor-ecdsa", without_ess), content=b"x")
    assert verdict(report)[:2] == (Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE)
    assert report.signatures[0].format == "CMS-NOT-ETSI"


# --- 4. A failed signature is still described -------------------------------------------


def test_tampered_long_term_signature_still_names_its_signer(
    pki: DevPki, verifier: Verifier
) -> None:
    sig = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT")
    report = verifier.verify(sig, content=CONTENT + b"!")
    assert verdict(report) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
        Qualification.NA,
    )
    (s,) = report.signatures
    assert s.format == "CAdES-BASELINE-LT"
    assert s.signer is not None
    subject = pki.cert("doctor-ecdsa").subject.native
    assert s.signer.rnokpp == subject["serial_number"].removeprefix("TINUA-")
    assert s.claimed_signing_time is not None
    assert [t.indication for t in s.timestamps] == [Indication.TOTAL_PASSED]
    assert s.timestamp_time == s.timestamps[0].time
    assert [c.sha256 for c in s.certificate_chain] == [
        c.sha256.hex() for c in pki.chain("doctor-ecdsa")
    ]
    assert {e.kind for e in s.revocation} == {"ocsp", "crl"}
    assert report.message == (
        "the signed content does not match the message digest in the signature"
    )


def test_flipped_signature_still_names_its_signer(pki: DevPki, verifier: Verifier) -> None:
    sig = sign_cades(pki, CONTENT, signer="doctor-rsa", level="B-LT")
    report = verifier.verify(tamper.flip_signature_byte(sig), content=CONTENT)
    assert verdict(report)[:2] == (Indication.TOTAL_FAILED, SubIndication.SIG_CRYPTO_FAILURE)
    (s,) = report.signatures
    assert s.signer is not None
    assert s.signer.common_name == pki.cert("doctor-rsa").subject.native["common_name"]
    # The time-stamp covered the original signature value, not the flipped one.
    assert [t.indication for t in s.timestamps] == [Indication.TOTAL_FAILED]
    assert s.format == "CAdES-BASELINE-B"
    assert len(s.certificate_chain) == 3


def test_message_imprint_helper_is_what_tst_info_carries(pki: DevPki) -> None:
    # Guards the helpers above: a content time-stamp's imprint is the content's digest.
    sig = forge.with_content_timestamp(pki, CONTENT, "doctor-ecdsa")
    _, si = forge.signer_info(sig)
    (attr,) = [a for a in si["signed_attrs"] if a["type"].native == "content_time_stamp"]
    tst = attr["values"][0]["content"]["encap_content_info"]["content"].parsed
    assert isinstance(tst, tsp.TSTInfo)
    imprint = tst["message_imprint"]["hashed_message"].native
    assert imprint == hashlib.sha256(CONTENT).digest()


def test_changed_pdf_still_names_its_signer_and_level(pki: DevPki, verifier: Verifier) -> None:
    signed = sign_pades(pki, minimal_pdf(), signer="doctor-ecdsa", level="B-LTA")
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Contents"] = writer.add_object(
        generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 700 Td (Changed) Tj ET")
    )
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
    report = verifier.verify(out.getvalue())
    # A modification after signing is a format failure (the signed bytes are intact).
    assert verdict(report)[:2] == (Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE)
    (s,) = report.signatures
    assert s.format == "PAdES-BASELINE-LTA"
    assert s.signer is not None
    assert s.signer.rnokpp is not None
    assert {t.kind for t in s.timestamps} == {"signature", "document"}
    assert len(s.certificate_chain) == 3


def test_document_timestamp_after_the_validation_time_proves_nothing(
    pki: DevPki, verifier: Verifier
) -> None:
    stamped = PAST + timedelta(days=1)
    signed = sign_pades(
        pki,
        minimal_pdf(),
        signer="doctor-ecdsa",
        level="B-LTA",
        signing_time=PAST,
        timestamp_time=stamped,
    )
    at = PAST + timedelta(hours=1)
    report = verifier.verify(signed, at=at)
    (s,) = report.signatures
    assert {t.kind: t.indication for t in s.timestamps} == {
        "signature": Indication.INDETERMINATE,
        "document": Indication.INDETERMINATE,
    }
    assert all("after the validation time" in t.message for t in s.timestamps)
    assert s.timestamp_time is None
    # Its DSS was gathered at the time-stamp time too: nothing to check revocation with.
    assert verdict(report)[:2] == (Indication.INDETERMINATE, SubIndication.TRY_LATER)
