"""docex's reading of PDF signature fields against pyHanko's, field by field (issue 12).

:mod:`docex.signatures.pdf_embedded` reads what docex used of pyHanko's
``EmbeddedPdfSignature`` and ``enumerate_sig_fields`` without importing pyHanko's PDF
validation package; on every PDF the repository holds it must read the same fields, the
same bytes and the same facts, and fail where pyHanko fails, with the same error.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.general import CMSExtractionError
from pyhanko.sign.validation import pdf_embedded as pyhanko_embedded

from docex.devpki.pki import DevPki
from docex.signatures import pdf_embedded
from docex.signatures.pades import open_pdf
from tests.fresh_python import modules_at_exit
from tests.signatures.encrypted_pdf import encrypted_signed_pdf

REPO = Path(__file__).resolve().parents[2]


def _read(pdf: Path) -> PdfFileReader:
    return open_pdf(pdf.read_bytes())


def _opens(pdf: Path) -> bool:
    try:
        _read(pdf)
    except Exception:  # a file the reader refuses has no fields for either side to read
        return False
    return True


PDFS = sorted(
    p
    for p in [
        *(REPO / "certs-dev" / "samples").glob("*.pdf"),
        *(REPO / "tests" / "data").rglob("*.pdf"),
    ]
    if _opens(p)
)


def _facts(emb: Any) -> dict[str, object]:
    """Everything docex reads of a signature field, comparable with ``==``."""
    facts: dict[str, object] = {
        "field_name": str(emb.field_name),
        "sig_field": emb.sig_field,
        "sig_object": emb.sig_object,
        "byte_range": [int(v) for v in emb.byte_range],
        "pkcs7_content": emb.pkcs7_content,
        "signed_data": emb.signed_data.dump(),
        "signer_info": emb.signer_info.dump(),
        "md_algorithm": emb.md_algorithm,
        "external_md_algorithm": getattr(emb, "external_md_algorithm", None),
        "signed_revision": emb.signed_revision,
        "sig_object_type": str(emb.sig_object_type),
        "self_reported_timestamp": emb.self_reported_timestamp,
    }
    if facts["external_md_algorithm"] is not None:
        facts["digest"] = emb.compute_digest()
    facts["sha256"] = emb.compute_digest("sha256")
    return facts


def _outcome(make: Any, *args: Any) -> tuple[str, object]:
    try:
        return "read", _facts(make(*args))
    except Exception as exc:  # compared, not swallowed: both sides must fail alike
        return type(exc).__name__, str(exc)


def test_the_repository_has_pdfs_to_compare() -> None:
    # Signed PDFs of several kinds: LTA, document time-stamps, several SignerInfos, forms.
    assert len(PDFS) >= 15
    assert REPO / "tests" / "data" / "dss" / "validation__pdf-double-signer-info.pdf" in PDFS


@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.name)
def test_filled_signature_fields_are_pyhankos(pdf: Path) -> None:
    reader = _read(pdf)
    ours = [(str(n), v, r.reference) for n, v, r in pdf_embedded.filled_signature_fields(reader)]
    theirs = [(str(n), v, r.reference) for n, v, r in enumerate_sig_fields(reader, True)]
    assert ours == theirs
    assert ours, "every sample PDF carries a signature field"


@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.name)
def test_each_field_reads_as_pyhanko_reads_it(pdf: Path) -> None:
    reader = _read(pdf)
    compared = several = 0
    for name, _, field in enumerate_sig_fields(reader, filled_status=True):
        theirs = _outcome(pyhanko_embedded.EmbeddedPdfSignature, reader, field, name)
        ours = _outcome(pdf_embedded.EmbeddedPdfSignature, reader, field, name)
        if theirs == ("CMSExtractionError", "signer_infos should contain exactly one entry"):
            several += 1  # pyHanko refuses several SignerInfos: the next test
            continue
        assert ours == theirs
        compared += 1
    assert compared or several


def test_several_signer_infos_are_read_around_the_first() -> None:
    pdf = REPO / "tests" / "data" / "dss" / "validation__pdf-double-signer-info.pdf"
    reader = _read(pdf)
    ((name, _, field),) = enumerate_sig_fields(reader, filled_status=True)
    with pytest.raises(CMSExtractionError):
        pyhanko_embedded.EmbeddedPdfSignature(reader, field, name)
    emb = pdf_embedded.EmbeddedPdfSignature(reader, field, str(name))
    signer_infos = list(emb.signed_data["signer_infos"])
    assert len(signer_infos) == 2
    assert emb.signer_info.dump() == signer_infos[0].dump()
    assert emb.md_algorithm == emb.external_md_algorithm == "sha512"
    assert emb.signed_revision == 1
    assert emb.sig_object_type == "/Sig"
    # The digest is the byte range's, whatever the signer: read it back from the file.
    start1, len1, start2, len2 = (int(v) for v in emb.byte_range)
    data = pdf.read_bytes()
    expected = hashlib.sha512(data[start1 : start1 + len1] + data[start2 : start2 + len2])
    assert emb.compute_digest() == expected.digest()


def _signed_field(**entries: object) -> tuple[PdfFileReader, Any]:
    reader = _read(REPO / "certs-dev" / "samples" / "examination-result.pdf")
    field = next(iter(enumerate_sig_fields(reader, filled_status=True)))[2].get_object()
    value = field["/V"]
    # pyHanko leaves its PDF object constructors untyped.
    changed = generic.DictionaryObject({**value, **entries})  # type: ignore[no-untyped-call]
    return reader, generic.DictionaryObject({**field, "/V": changed})  # type: ignore[no-untyped-call]


def test_a_signature_whose_contents_is_no_string_fails_as_in_pyhanko() -> None:
    reader, field = _signed_field(**{"/Contents": generic.NumberObject(1)})  # type: ignore[no-untyped-call]
    with pytest.raises(PdfReadError, match="/Contents must be string-like"):
        pyhanko_embedded.EmbeddedPdfSignature(reader, field, "Signature1")
    with pytest.raises(PdfReadError, match="/Contents must be string-like"):
        pdf_embedded.EmbeddedPdfSignature(reader, field, "Signature1")


def test_a_signature_without_a_byte_range_fails_as_in_pyhanko() -> None:
    reader, field = _signed_field()
    del field["/V"]["/ByteRange"]
    for reading in (pyhanko_embedded.EmbeddedPdfSignature, pdf_embedded.EmbeddedPdfSignature):
        with pytest.raises(PdfReadError, match="Could not read /ByteRange entry in signature"):
            reading(reader, field, "Signature1")


def _verify_in_a_fresh_process(pdf: Path) -> tuple[int, str, set[str]]:
    """``docex verify --format json`` of one file, and the modules the process loaded."""
    done, loaded = modules_at_exit(
        "from docex.cli.main import run\nrun()",
        *("verify", "--format", "json", str(pdf)),
        env={"DOCEX_VERIFY_WORKERS": "0"},
    )
    return done.returncode, done.stdout, loaded


def test_an_encrypted_pdf_is_still_verified_in_a_fresh_process(pki: DevPki, tmp_path: Path) -> None:
    # pyHanko's reader registers its encryption handlers as it loads (pdf_utils.crypt's
    # __init__, which docex.signatures.pyhanko_imports defers until then); docex reads the
    # signature fields itself. (Decrypting imports pyHanko's PDF MAC module, which imports
    # its signers: an encrypted PDF still loads those.)
    pdf = tmp_path / "encrypted.pdf"
    pdf.write_bytes(encrypted_signed_pdf(pki, user_password=""))
    status, out, loaded = _verify_in_a_fresh_process(pdf)
    report = json.loads(out)
    assert (status, report["indication"], report["sub_indication"]) == (
        2,
        "INDETERMINATE",
        "TRY_LATER",
    )
    assert {"pyhanko.pdf_utils.crypt.standard", "docex.signatures.pdf_embedded"} <= loaded


def test_a_pdf_with_a_user_password_is_still_refused(pki: DevPki, tmp_path: Path) -> None:
    pdf = tmp_path / "locked.pdf"
    pdf.write_bytes(encrypted_signed_pdf(pki, user_password="patient-secret"))
    status, out, _ = _verify_in_a_fresh_process(pdf)
    assert status == 3
    assert "encrypted with a password" in out
