"""PAdES with DSTU 4145: a PDF signed by the development PKI's DSTU doctors.

The CMS in ``/Contents`` is the same DSTU CAdES as a ``.p7s`` (GOST 34.311-95 digests,
DSTU 4145 signature, a DSTU time-stamp and DSTU-signed CRLs and OCSP responses), over the
PDF's byte range. pyHanko hashes byte ranges only with pyca digests; docex hashes them
with GOST 34.311 itself, so everything else (modification analysis, the byte-range
checks) is the same as for ECDSA and RSA.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from docex.devpki.dstu_pki import DOCTOR_DSTU, DOCTOR_DSTU_431, TSA_DSTU, DstuPki
from docex.signatures.report import CheckOutcome, Indication, Qualification, SubIndication
from docex.signatures.trust import trust_store_from_certificates
from docex.signatures.verifier import Verifier
from tests.signatures import pdf_cases as cases

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def dstu_pki() -> DstuPki:
    return DstuPki.load()


@pytest.fixture(scope="module")
def verifier(dstu_pki: DstuPki) -> Iterator[Verifier]:
    trust = trust_store_from_certificates(
        [dstu_pki.trust_anchor()], name="DSTU root", tsas=[dstu_pki.cert(TSA_DSTU)]
    )
    with Verifier(trust) as verifier:
        yield verifier


@pytest.fixture(scope="module")
def signed_form(dstu_pki: DstuPki) -> bytes:
    return dstu_pki.sign_pades(cases.form_pdf(), level="B-LT", signing_time=AT)


@pytest.mark.parametrize(("signer", "m"), [(DOCTOR_DSTU, 257), (DOCTOR_DSTU_431, 431)])
def test_dstu_pades_b_lt_is_a_qualified_signature(
    dstu_pki: DstuPki, verifier: Verifier, signer: str, m: int
) -> None:
    pdf = dstu_pki.sign_pades(cases.form_pdf(), signer=signer, level="B-LT", signing_time=AT)
    report = verifier.verify(pdf, at=AT)
    (sig,) = report.signatures
    assert (report.indication, report.sub_indication, report.qualification) == (
        Indication.TOTAL_PASSED,
        None,
        Qualification.QESIG,
    )
    assert sig.format == "PAdES-BASELINE-LT"
    assert sig.signer is not None
    assert sig.signer.common_name == dstu_pki.cert(signer).subject.native["common_name"]
    checks = {c.name: c for c in sig.checks}
    assert all(c.outcome is CheckOutcome.PASSED for c in sig.checks), sig.checks
    assert checks["algorithms"].message == (
        f"algorithms are acceptable (1.2.804.2.1.1.1.1.2.1, DSTU 4145 m={m})"
    )
    assert checks["modifications"].message == "no changes after signing"


def test_a_flipped_byte_in_the_signed_range_is_a_hash_failure(
    verifier: Verifier, signed_form: bytes
) -> None:
    # A byte of the page content stream ("Helvetica" -> "Helvetics"), inside the range.
    at = signed_form.index(b"/Helvetica") + len(b"/Helvetic")
    forged = signed_form[:at] + b"s" + signed_form[at + 1 :]
    report = verifier.verify(forged, at=AT)
    (sig,) = report.signatures
    assert (sig.indication, sig.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
    )
    digest = next(c for c in sig.checks if c.name == "message_digest")
    assert digest.outcome is CheckOutcome.FAILED


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (cases.field_rewritten, 'field "diagnosis" changed after signature 1'),
        (cases.page_content_replaced, "page 1 content replaced after signature 1"),
    ],
    ids=["diagnosis rewritten", "page content replaced"],
)
def test_a_change_after_the_dstu_signature_fails(
    verifier: Verifier, signed_form: bytes, make: cases.Attack, words: str
) -> None:
    report = verifier.verify(make(signed_form, "incremental"), at=AT)
    (sig,) = report.signatures
    assert (sig.indication, sig.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.FORMAT_FAILURE,
    )
    modifications = next(c for c in sig.checks if c.name == "modifications")
    assert words in modifications.message
