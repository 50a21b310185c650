"""Conformance on EU DSS's public samples: exact verdicts, and the corpus rules.

Each row: a file under ``tests/data`` (provenance in the README beside it), the label an
independent tool (OpenSSL) gives its cryptographic integrity in the corpus's
``labels.json`` (``True`` intact, ``False`` broken, ``None`` undecided), and the verdict
docex must give with the development trust anchors (none of these files chains to them,
so an intact signature ends ``INDETERMINATE`` / ``NO_CERTIFICATE_CHAIN_FOUND``), with the
deciding message of each signature. ``None`` as the verdict means a clean input error.

The corpus rules (``shared/corpora/README.md``) are checked on every row as well: an
intact file is never ``HASH_FAILURE`` / ``SIG_CRYPTO_FAILURE`` or "not a signature"; a
broken one is never ``TOTAL_PASSED``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from docex.errors import InputError
from docex.signatures.report import Indication, SubIndication, ValidationReport
from docex.signatures.verifier import Verifier

DATA = Path(__file__).resolve().parents[1] / "data"

IND, FAIL = Indication.INDETERMINATE, Indication.TOTAL_FAILED
NO_CHAIN = (IND, SubIndication.NO_CERTIFICATE_CHAIN_FOUND)
CHAIN_MESSAGE = "the signing certificate does not chain to a configured trust anchor"

Row = tuple[str, bool | None, tuple[Indication, SubIndication] | None, list[tuple[str, str]]]

TABLE: list[Row] = [
    # CAdES
    ("dss-1220/CAdES-BpT_modified_ts_hash.p7m", True, NO_CHAIN, [("S1", CHAIN_MESSAGE)]),
    ("dss/validation__Signature-C-B-LTA-10.p7m", True, NO_CHAIN, [("S1", CHAIN_MESSAGE)]),
    # A content time-stamp (tests/cli/test_startup_imports.py checks it is found).
    ("dss/validation__Signature-C-BES-4.p7m", True, NO_CHAIN, [("S1", CHAIN_MESSAGE)]),
    (
        "dss/validation__signedFile.pdf.p7s",
        True,
        NO_CHAIN,
        [("S1", CHAIN_MESSAGE), ("S2", CHAIN_MESSAGE), ("S3", CHAIN_MESSAGE)],
    ),
    (
        "dss/validation__cades-broken-sig-tst.p7m",
        False,
        (FAIL, SubIndication.SIG_CRYPTO_FAILURE),
        [("S1", "the signature value does not verify with the signer's public key")],
    ),
    (
        "dss/validation__dss-667__DER_reordered_prova.txt.p7m",
        False,
        (FAIL, SubIndication.SIG_CRYPTO_FAILURE),
        [("S1", "the signature value does not verify with the signer's public key")],
    ),
    (
        "dss/validation__cms-no-sign-cert.p7m",
        False,
        (IND, SubIndication.NO_SIGNING_CERTIFICATE_FOUND),
        [("S1", "the signing certificate is not included in the signature")],
    ),
    (
        "dss/validation__no-key-info-cert.pkcs7",
        False,
        (IND, SubIndication.NO_SIGNING_CERTIFICATE_FOUND),
        [("S1", "the signing certificate is not included in the signature")],
    ),
    # PAdES: long-term files made by other tools pass the modification analysis.
    (
        "dss/validation__PAdES-LT.pdf",
        True,
        NO_CHAIN,
        [
            ("Signature1", CHAIN_MESSAGE),
            ("Signature2", CHAIN_MESSAGE),
            ("Signature4", CHAIN_MESSAGE),
        ],
    ),
    ("pdf/pades-ltv.pdf", True, NO_CHAIN, [("Signature1", CHAIN_MESSAGE)]),
    (
        "pdf/pades-ocsp-archiveCutOff-invalid.pdf",
        True,
        NO_CHAIN,
        [("Signature2", CHAIN_MESSAGE), ("Signature3", CHAIN_MESSAGE)],
    ),
    (
        "pdf/pdf-structtreeroot-changes.pdf",
        True,
        NO_CHAIN,
        [("sign3", CHAIN_MESSAGE), ("sign4", CHAIN_MESSAGE)],
    ),
    (
        "dss/validation__pades-t-duplicated-doctst.pdf",
        False,
        NO_CHAIN,
        [("Signature1", CHAIN_MESSAGE)],
    ),
    (
        "dss/validation__AD-RB.pdf",
        None,
        NO_CHAIN,
        [
            ("SignHere_827f69f3-6da4-46a7-b473-9ba175a32d41", CHAIN_MESSAGE),
            ("ENVELOPEID_04E32142CACE4C9DAB875C0FC264F2CF", CHAIN_MESSAGE),
        ],
    ),
    (
        "dss/validation__pdf-double-signer-info.pdf",
        True,
        NO_CHAIN,
        [("Signature1", CHAIN_MESSAGE), ("Signature1#2", CHAIN_MESSAGE)],
    ),
    # PAdES changed after signing: the signed bytes are intact, the document is not.
    (
        "pdf/pades-signed-annot-added.pdf",
        True,
        (FAIL, SubIndication.FORMAT_FAILURE),
        [("Signature2", "FreeText annotation added on page 1 after signature 1")],
    ),
    (
        "dss/validation__pades-signed-filled-form.pdf",
        True,
        (FAIL, SubIndication.FORMAT_FAILURE),
        [("Signature1", 'field "A.0101" changed after signature 1')],
    ),
    (
        "pdf/dss-1376__DSS1376-rev_n-3.pdf",
        True,
        (FAIL, SubIndication.FORMAT_FAILURE),
        [("Sig1", 'field "Field1" changed after signature 1 with no signature over it')],
    ),
    (
        "dss/validation__timestamped-fields.pdf",
        True,
        (FAIL, SubIndication.FORMAT_FAILURE),
        [
            ("signature1", 'document time-stamp field "signature2" shows on page 1'),
            ("signature2", "the PDF carries a document time-stamp but no signature"),
        ],
    ),
    (
        "dss/validation__pdf-spoofing-attack.pdf",
        True,
        (FAIL, SubIndication.FORMAT_FAILURE),
        [("Sig2", "the signature's byte range does not cover the whole signed revision")],
    ),
    # Structures docex cannot process.
    (
        "dss/validation__pades-5-signatures-and-1-document-timestamp.pdf",
        True,
        (FAIL, SubIndication.FORMAT_FAILURE),
        [("PDF", "the signed PDF cannot be read")],
    ),
    (
        "dss/validation__wrong-digest-algo.pdf",
        None,
        (FAIL, SubIndication.FORMAT_FAILURE),
        [("Sig_12004651", "the signature has no signed attributes")],
    ),
    (
        "dss/validation__pades-bes-no-certificates.pdf",
        False,
        (IND, SubIndication.NO_SIGNING_CERTIFICATE_FOUND),
        [("Signature1", "the signing certificate is not included in the signature")],
    ),
    ("dss/validation__malformed-pades.pdf", False, None, []),
]


def _obeys_corpus_rules(intact: bool | None, report: ValidationReport | None) -> None:
    if intact is True:
        assert report is not None, "an intact signature is never 'not a signature'"
        assert report.sub_indication not in (
            SubIndication.HASH_FAILURE,
            SubIndication.SIG_CRYPTO_FAILURE,
        )
    if intact is False and report is not None:
        assert report.indication is not Indication.TOTAL_PASSED


@pytest.mark.parametrize(
    ("name", "intact", "expected", "messages"), TABLE, ids=[row[0] for row in TABLE]
)
def test_dss_sample(
    verifier: Verifier,
    name: str,
    intact: bool | None,
    expected: tuple[Indication, SubIndication] | None,
    messages: list[tuple[str, str]],
) -> None:
    data = (DATA / name).read_bytes()
    try:
        report: ValidationReport | None = verifier.verify(data)
    except InputError:
        report = None
    _obeys_corpus_rules(intact, report)
    if expected is None:
        assert report is None
        return
    assert report is not None
    assert (report.indication, report.sub_indication) == expected
    got = [(s.id, s.checks[-1].message) for s in report.signatures]
    assert [sig_id for sig_id, _ in got] == [sig_id for sig_id, _ in messages]
    for (_, message), (_, start) in zip(got, messages, strict=True):
        assert message.startswith(start), message


def test_every_dss_sample_in_tests_data_is_in_the_table() -> None:
    on_disk = {
        str(p.relative_to(DATA))
        for folder in ("dss", "pdf", "dss-1220")
        for p in (DATA / folder).iterdir()
        if p.suffix != ".md"
    }
    assert on_disk == {row[0] for row in TABLE}
