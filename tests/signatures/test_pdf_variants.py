"""PDF signature variants: SubFilters, several SignerInfos, encryption, time-stamps only."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from asn1crypto import cms
from pyhanko.sign.fields import enumerate_sig_fields

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.errors import NotASignatureError
from docex.signatures.pades import (
    DOCUMENT_TIMESTAMP_FORMAT,
    PdfSignature,
    open_pdf,
    read_signature,
    sha1_byte_range_binding,
)
from docex.signatures.report import CheckOutcome, Indication, Qualification, SubIndication
from docex.signatures.verifier import Verifier
from tests.signatures.conftest import CONTENT
from tests.signatures.encrypted_pdf import encrypted_signed_pdf
from tests.signatures.timestamp_only import TEXT, make_timestamp_only_pdf

DSS = Path(__file__).resolve().parents[1] / "data" / "dss"


def _signatures(pdf: bytes) -> list[PdfSignature]:
    reader = open_pdf(pdf)
    return [
        read_signature(reader, field, str(name))
        for name, _, field in enumerate_sig_fields(reader, filled_status=True)
    ]


@pytest.fixture(scope="module")
def timestamp_only_pdf(pki: DevPki) -> bytes:
    return make_timestamp_only_pdf(pki)


def test_several_signer_infos_are_reported_one_by_one(verifier: Verifier) -> None:
    report = verifier.verify((DSS / "validation__pdf-double-signer-info.pdf").read_bytes())
    assert [(s.id, s.indication, s.sub_indication) for s in report.signatures] == [
        ("Signature1", Indication.INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND),
        ("Signature1#2", Indication.INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND),
    ]
    # The sample repeats one SignerInfo; each copy is checked on its own.
    assert [s.signer.common_name if s.signer else None for s in report.signatures] == [
        "good-user",
        "good-user",
    ]


def test_sha1_subfilter_binds_the_byte_range_by_an_encapsulated_digest() -> None:
    pdf = (DSS / "validation__wrong-digest-algo.pdf").read_bytes()
    (sig,) = [s for s in _signatures(pdf) if not s.is_document_timestamp]
    assert sig.subfilter == "/adbe.pkcs7.sha1"
    # Its digestAlgorithm is sha1WithRSAEncryption, read as the digest it names.
    assert sig.signer_infos[0]["digest_algorithm"]["algorithm"].dotted == "1.2.840.113549.1.1.5"
    assert sig.embedded.md_algorithm == "sha1"
    imprint, check = sha1_byte_range_binding(sig.embedded)
    assert (check.name, check.outcome) == ("byte_range_digest", CheckOutcome.PASSED)
    encapsulated = sig.embedded.signed_data["encap_content_info"]["content"].native
    # The legacy SubFilter is SHA-1 by definition; this only recomputes what it binds.
    assert imprint("sha1") == hashlib.sha1(encapsulated).digest()  # noqa: S324


def test_sha1_subfilter_over_changed_bytes_fails() -> None:
    pdf = bytearray((DSS / "validation__wrong-digest-algo.pdf").read_bytes())
    (sig,) = [s for s in _signatures(bytes(pdf)) if not s.is_document_timestamp]
    start, length = int(sig.embedded.byte_range[0]), int(sig.embedded.byte_range[1])
    # A byte inside the first signed range, in a comment line of the header.
    position = start + pdf[start : start + length].index(b"\n%") + 2
    pdf[position] ^= 0x01
    (changed,) = [s for s in _signatures(bytes(pdf)) if not s.is_document_timestamp]
    _, check = sha1_byte_range_binding(changed.embedded)
    assert (check.name, check.outcome) == ("byte_range_digest", CheckOutcome.FAILED)
    assert "does not match the byte range" in check.message


def test_encrypt_null_is_read_as_not_encrypted() -> None:
    pdf = (DSS / "validation__pdf-spoofing-attack.pdf").read_bytes()
    assert b"/Encrypt null" in pdf
    assert not open_pdf(pdf).encrypted
    assert [(s.field_name, s.subfilter) for s in _signatures(pdf)] == [
        ("Sig2", "/ETSI.CAdES.detached")
    ]


def test_pdf_encrypted_with_the_empty_user_password_is_verified(
    pki: DevPki, verifier: Verifier
) -> None:
    pdf = encrypted_signed_pdf(pki, user_password="")
    assert b"/Encrypt" in pdf
    report = verifier.verify(pdf)
    # A B-B signature of the development PKI: intact, no revocation data embedded.
    assert (report.indication, report.sub_indication, report.qualification) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
        Qualification.NA,
    )
    assert [c.name for c in report.signatures[0].checks][:4] == [
        "byte_range",
        "modifications",
        "format",
        "signing_certificate",
    ]


def test_pdf_with_a_user_password_is_an_input_error(pki: DevPki, verifier: Verifier) -> None:
    with pytest.raises(NotASignatureError, match="encrypted with a password"):
        verifier.verify(encrypted_signed_pdf(pki, user_password="patient-secret"))


def test_document_timestamps_without_signature_are_a_verdict(
    timestamp_only_pdf: bytes, verifier: Verifier
) -> None:
    report = verifier.verify(timestamp_only_pdf)
    assert (report.indication, report.sub_indication, report.qualification) == (
        Indication.INDETERMINATE,
        SubIndication.SIGNED_DATA_NOT_FOUND,
        Qualification.NA,
    )
    assert not report.accepted
    (entry,) = report.signatures
    assert (entry.id, entry.format, entry.signer) == (
        "DocTimeStamp1",
        DOCUMENT_TIMESTAMP_FORMAT,
        None,
    )
    (ts,) = entry.timestamps
    assert ts.kind == "document"
    assert "Time-Stamping Authority" in ts.tsa
    assert report.message == "the PDF carries a document time-stamp but no signature"


def test_broken_document_timestamp_without_signature_fails(
    timestamp_only_pdf: bytes, verifier: Verifier
) -> None:
    changed = timestamp_only_pdf.replace(f"({TEXT})".encode(), b"(AAAB)")
    assert changed != timestamp_only_pdf
    report = verifier.verify(changed)
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
    )
    assert report.signatures[0].format == DOCUMENT_TIMESTAMP_FORMAT
    assert "imprint mismatch" in report.message


def test_unreadable_signed_pdf_is_a_format_failure(verifier: Verifier) -> None:
    # Its last revision points at /Prev 0: pyHanko cannot follow the cross-references.
    pdf = (DSS / "validation__pades-5-signatures-and-1-document-timestamp.pdf").read_bytes()
    report = verifier.verify(pdf)
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.FORMAT_FAILURE,
    )
    assert report.message.startswith("the signed PDF cannot be read: ")


def test_unreadable_pdf_without_signature_dictionary_is_not_a_signature(
    verifier: Verifier,
) -> None:
    with pytest.raises(NotASignatureError, match="the PDF cannot be read"):
        verifier.verify(b"%PDF-1.7\n" + b"\x00garbage" * 50)


def test_digest_algorithm_given_as_signature_algorithm(pki: DevPki, verifier: Verifier) -> None:
    der = sign_cades(pki, CONTENT, signer="doctor-rsa", level="B-LT")
    info = cms.ContentInfo.load(der)
    signer_info = info["content"]["signer_infos"][0]
    assert signer_info["digest_algorithm"]["algorithm"].native == "sha256"
    # sha256WithRSAEncryption where sha256 belongs; digestAlgorithm is not signed.
    signer_info["digest_algorithm"] = {"algorithm": "1.2.840.113549.1.1.11"}
    rewritten = info.dump(force=True)
    assert rewritten != der
    report = verifier.verify(rewritten, content=CONTENT)
    assert (report.indication, report.sub_indication, report.qualification) == (
        Indication.TOTAL_PASSED,
        None,
        Qualification.QESIG,
    )
    checks = {c.name: c.message for c in report.signatures[0].checks}
    assert checks["algorithms"].startswith("algorithms are acceptable (sha256, ")


def test_byte_range_not_covering_its_revision_is_a_format_failure(verifier: Verifier) -> None:
    # EU DSS calls this file's signature dictionary inconsistent (PAdESWithSpoofingAttackTest):
    # the bytes its range covers are intact, but the range is not its revision's.
    report = verifier.verify((DSS / "validation__pdf-spoofing-attack.pdf").read_bytes())
    (sig,) = report.signatures
    assert (sig.id, sig.indication, sig.sub_indication) == (
        "Sig2",
        Indication.TOTAL_FAILED,
        SubIndication.FORMAT_FAILURE,
    )
    assert (sig.checks[-1].name, sig.checks[-1].message) == (
        "byte_range",
        "the signature's byte range does not cover the whole signed revision",
    )
