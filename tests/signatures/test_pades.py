"""PAdES verification: levels, coverage, changes after signing, several signatures."""

from __future__ import annotations

from io import BytesIO

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from docex.devpki.pdf import minimal_pdf
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_pades
from docex.errors import NotASignatureError
from docex.signatures.report import CheckOutcome, Indication, Qualification, SubIndication
from docex.signatures.verifier import Verifier


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return minimal_pdf()


@pytest.fixture(scope="module")
def signed_lt(pki: DevPki, pdf: bytes) -> bytes:
    return sign_pades(pki, pdf, signer="doctor-rsa", level="B-LT")


@pytest.mark.parametrize(("level", "fmt"), [("B-LT", "LT"), ("B-LTA", "LTA")])
def test_long_term_pades_passes_as_qesig(
    pki: DevPki, pdf: bytes, verifier: Verifier, level: str, fmt: str
) -> None:
    report = verifier.verify(sign_pades(pki, pdf, signer="doctor-ecdsa", level=level))
    assert (report.indication, report.sub_indication, report.qualification) == (
        Indication.TOTAL_PASSED,
        None,
        Qualification.QESIG,
    )
    (sig,) = report.signatures
    assert sig.id == "Signature1"
    assert sig.format == f"PAdES-BASELINE-{fmt}"
    assert report.document.kind == "pades"
    kinds = {t.kind for t in sig.timestamps}
    assert kinds == ({"signature", "document"} if level == "B-LTA" else {"signature"})


@pytest.mark.parametrize("level", ["B-B", "B-T"])
def test_pades_without_revocation_data_is_try_later(
    pki: DevPki, pdf: bytes, verifier: Verifier, level: str
) -> None:
    report = verifier.verify(sign_pades(pki, pdf, signer="doctor-ecdsa", level=level))
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    )


def test_content_changed_by_an_incremental_update_fails(
    signed_lt: bytes, verifier: Verifier
) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(signed_lt))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Contents"] = writer.add_object(
        generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 700 Td (Changed) Tj ET")
    )
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
    report = verifier.verify(out.getvalue())
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.FORMAT_FAILURE,
    )
    assert report.message == "page 1 content replaced after signature 1"
    modifications = [c for c in report.signatures[0].checks if c.name == "modifications"]
    assert [c.outcome for c in modifications] == [CheckOutcome.FAILED]


def test_adding_a_second_signature_and_ltv_data_is_not_a_change(
    pki: DevPki, signed_lt: bytes, verifier: Verifier
) -> None:
    both = sign_pades(pki, signed_lt, signer="doctor2-ecdsa", level="B-LTA", field_name="Sig2")
    report = verifier.verify(both)
    assert [(s.id, s.indication, s.qualification) for s in report.signatures] == [
        ("Signature1", Indication.TOTAL_PASSED, Qualification.QESIG),
        ("Sig2", Indication.TOTAL_PASSED, Qualification.QESIG),
    ]
    first = report.signatures[0]
    assert [c.outcome for c in first.checks if c.name == "modifications"] == [CheckOutcome.PASSED]
    assert report.indication is Indication.TOTAL_PASSED


def test_two_signatures_report_the_worst(pki: DevPki, pdf: bytes, verifier: Verifier) -> None:
    revoked = sign_pades(pki, pdf, signer="revoked", level="B-LT")
    both = sign_pades(pki, revoked, signer="doctor2-ecdsa", level="B-LT", field_name="Sig2")
    report = verifier.verify(both)
    assert [(s.indication, s.sub_indication) for s in report.signatures] == [
        (Indication.TOTAL_FAILED, SubIndication.REVOKED),
        (Indication.TOTAL_PASSED, None),
    ]
    assert (report.indication, report.sub_indication, report.qualification) == (
        Indication.TOTAL_FAILED,
        SubIndication.REVOKED,
        Qualification.NA,
    )


def test_nonqualified_and_sha1_pades(pki: DevPki, pdf: bytes, verifier: Verifier) -> None:
    report = verifier.verify(sign_pades(pki, pdf, signer="nonqualified", level="B-LT"))
    assert (report.indication, report.qualification) == (
        Indication.TOTAL_PASSED,
        Qualification.ADESIG,
    )
    weak = verifier.verify(sign_pades(pki, pdf, signer="doctor-ecdsa", level="B-LT", digest="sha1"))
    assert (weak.indication, weak.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
    )


def test_unsigned_and_broken_pdfs_are_not_signatures(
    pdf: bytes, signed_lt: bytes, verifier: Verifier
) -> None:
    with pytest.raises(NotASignatureError, match="no signature"):
        verifier.verify(pdf)
    with pytest.raises(NotASignatureError):
        verifier.verify(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    with pytest.raises(NotASignatureError):
        verifier.verify(signed_lt[: len(signed_lt) // 3])
