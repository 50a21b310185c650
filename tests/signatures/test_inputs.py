"""Recognising signature files by their structure (docex.signatures.inputs)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from asn1crypto import algos, cms

from docex.devpki.pdf import minimal_pdf
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.errors import NotASignatureError
from docex.signatures.inputs import (
    CmsInput,
    PdfInput,
    decode_signature,
    is_der_sequence,
    pem_body,
)
from docex.signatures.report import Indication, Qualification, SubIndication
from docex.signatures.verifier import Verifier
from tests.signatures.conftest import CONTENT

DSS = Path(__file__).resolve().parents[1] / "data" / "dss"
PDF = minimal_pdf("Висновок медичного огляду")


@pytest.fixture(scope="module")
def cms_over_pdf(pki: DevPki) -> bytes:
    """An attached CAdES B-LT whose content is a PDF, as Ukrainian signing tools make them."""
    return sign_cades(pki, PDF, signer="doctor-ecdsa", level="B-LT", detached=False)


def test_cms_enveloping_a_pdf_is_cms_not_pdf(cms_over_pdf: bytes, verifier: Verifier) -> None:
    # The PDF header sits a few dozen bytes in, inside the encapsulated content.
    assert b"%PDF-" in cms_over_pdf[:1024]
    decoded = decode_signature(cms_over_pdf)
    assert isinstance(decoded, CmsInput)
    assert decoded.signed_data["encap_content_info"]["content"].native == PDF
    report = verifier.verify(cms_over_pdf)
    assert (report.indication, report.sub_indication, report.qualification) == (
        Indication.TOTAL_PASSED,
        None,
        Qualification.QESIG,
    )
    assert report.document.kind == "cades"


def test_base64_of_a_cms_enveloping_a_pdf_is_cms(cms_over_pdf: bytes) -> None:
    for text in (base64.b64encode(cms_over_pdf), base64.encodebytes(cms_over_pdf)):
        assert isinstance(decode_signature(text), CmsInput)


@pytest.mark.parametrize(
    "name", ["validation__signedFile.pdf.p7s", "validation__Signature-C-B-LTA-10.p7m"]
)
def test_dss_cades_over_pdf_gets_a_verdict(name: str, verifier: Verifier) -> None:
    report = verifier.verify((DSS / name).read_bytes())
    assert report.document.kind == "cades"
    # No trust anchors for DSS files: an intact signature stops at the chain.
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    )
    assert {s.sub_indication for s in report.signatures} == {
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    }


def test_dss_pdf_p7s_reports_each_signer() -> None:
    decoded = decode_signature((DSS / "validation__signedFile.pdf.p7s").read_bytes())
    assert isinstance(decoded, CmsInput)
    assert len(decoded.signed_data["signer_infos"]) == 3
    assert decoded.signed_data["encap_content_info"]["content"].native.startswith(b"%PDF-")


def test_pdf_only_with_the_header_at_the_start() -> None:
    assert isinstance(decode_signature(PDF), PdfInput)
    for prefix in (b"\xef\xbb\xbf", b"\r\n  ", b"garbage" * 20):
        with pytest.raises(NotASignatureError, match=f"preceded by {len(prefix)} other bytes"):
            decode_signature(prefix + PDF)


def test_pdf_header_beyond_the_junk_window_is_not_a_pdf() -> None:
    with pytest.raises(NotASignatureError, match=r"not a CMS signature .* and not a PDF"):
        decode_signature(b"x" * 1024 + PDF)


def test_der_sequence_headers() -> None:
    assert is_der_sequence(b"\x30\x03\x02\x01\x00")
    assert is_der_sequence(b"\x30\x80\x02\x01\x00\x00\x00")  # BER indefinite length
    assert is_der_sequence(b"\x30\x81\x80" + b"\x00" * 0x80)
    assert not is_der_sequence(b"\x30\x05\x02\x01")  # length runs past the end
    assert not is_der_sequence(b"\x30\x81\x05" + b"\x00" * 5)  # non-minimal long form
    assert not is_der_sequence(b"\x30\x85" + b"\x01" * 10)  # more than 4 length octets
    assert not is_der_sequence(b"\x31\x00")
    assert not is_der_sequence(b"0")


def test_der_sequence_that_is_not_content_info_is_refused() -> None:
    # SEQUENCE { INTEGER 1 }: well-formed DER, but not a ContentInfo.
    with pytest.raises(NotASignatureError, match="malformed CMS structure"):
        decode_signature(b"\x30\x03\x02\x01\x01")
    # A ContentInfo-shaped SEQUENCE of another content type.
    sequence = algos.DigestAlgorithm({"algorithm": "sha256"}).dump()
    with pytest.raises(NotASignatureError, match="not signed data"):
        decode_signature(sequence)


@pytest.mark.parametrize("label", ["PKCS7", "CMS", "SIGNED DATA", "PKCS #7 SIGNED DATA"])
def test_pem_labels(label: str, cms_over_pdf: bytes) -> None:
    armored = (
        b"Bag Attributes: exported by a signing tool\n"
        + f"-----BEGIN {label}-----\r\n".encode()
        + base64.encodebytes(cms_over_pdf).replace(b"\n", b"\r\n")
        + f"-----END {label}-----\r\n".encode()
    )
    decoded = decode_signature(armored)
    assert isinstance(decoded, CmsInput)
    assert decoded.der == cms_over_pdf


def test_pem_with_other_label_is_not_a_signature(cms_over_pdf: bytes) -> None:
    armored = (
        b"-----BEGIN CERTIFICATE-----\n"
        + base64.encodebytes(cms_over_pdf)
        + b"-----END CERTIFICATE-----\n"
    )
    with pytest.raises(NotASignatureError):
        decode_signature(armored)


def test_url_safe_base64_with_whitespace(pki: DevPki) -> None:
    der = sign_cades(pki, CONTENT, signer="doctor-ecdsa")
    text = base64.urlsafe_b64encode(der).rstrip(b"=")
    assert b"-" in text or b"_" in text  # else this would not test the url-safe alphabet
    wrapped = b"\n".join(text[i : i + 64] for i in range(0, len(text), 64)) + b"\n"
    decoded = decode_signature(wrapped)
    assert isinstance(decoded, CmsInput)
    assert decoded.der == der
    assert isinstance(decoded.signed_data, cms.SignedData)


def test_base64_of_a_pdf_is_refused() -> None:
    with pytest.raises(NotASignatureError, match="base64-encoded PDF"):
        decode_signature(base64.b64encode(PDF))


def test_repeated_pem_begin_lines_are_refused_in_one_pass() -> None:
    line = b"-----BEGIN PKCS7-----\n"
    data = line * (400 * 1024 // len(line))
    with pytest.raises(NotASignatureError):
        decode_signature(data)
    # The scanner reads each line once and never goes back: the work is bounded by the
    # number of lines, however many BEGIN markers there are.
    lines = data.splitlines()
    pulled = 0

    def counting() -> Iterator[bytes]:
        nonlocal pulled
        for item in lines:
            pulled += 1
            yield item

    assert pem_body(counting()) is None
    assert pulled == len(lines)


def test_begin_markers_on_one_long_line_are_refused() -> None:
    with pytest.raises(NotASignatureError):
        decode_signature(b"-----BEGIN PKCS7-----" * 20_000)


def test_a_begin_inside_an_open_block_starts_it_again(cms_over_pdf: bytes) -> None:
    body = base64.encodebytes(cms_over_pdf)
    text = b"-----BEGIN PKCS7-----\nnot base64 at all!\n-----BEGIN CMS-----\n" + body
    assert pem_body((text + b"-----END CMS-----\n").splitlines()) == body.replace(b"\n", b"")
    # The first block's END no longer closes anything.
    assert pem_body((text + b"-----END PKCS7-----\n").splitlines()) is None
