"""Bounds on one verification's work: path building, embedded data, PDF streams, recursion.

Each test builds the crafted input it needs (with ``cryptography`` and pyHanko), verifies
it with a verifier held to small or default bounds, and checks the exact verdict, the
bound named in the message, and the work done, counted rather than timed.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from io import BytesIO

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from docex.devpki.pdf import minimal_pdf
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades, sign_pades
from docex.signatures.isolation import (
    RECURSION_MESSAGE,
    GuardedVerifier,
    VerifierConfig,
    bounded_verifier,
)
from docex.signatures.limits import DEFAULT_LIMITS, Limits
from docex.signatures.report import Indication, SubIndication, ValidationReport
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier
from tests.signatures.conftest import CONTENT, DEV_TRUST
from tests.signatures.hostile_inputs import (
    NOW,
    SAME_NAME,
    deflated_zeros,
    issue_cert,
    lattice_cms,
    new_key,
    pdf_with_crl_bomb,
    pdf_with_deep_catalog,
    sign_detached,
)


def _verifier(limits: Limits) -> Verifier:
    return bounded_verifier(
        load_trust_store([DEV_TRUST]), max_input_bytes=64 * 1024 * 1024, limits=limits
    )


@pytest.fixture
def default_verifier() -> Iterator[Verifier]:
    with _verifier(DEFAULT_LIMITS) as v:
        yield v


def _verdict(report: ValidationReport) -> tuple[Indication, SubIndication | None]:
    return report.indication, report.sub_indication


@pytest.fixture(scope="module")
def lattice() -> bytes:
    return lattice_cms(layers=12, width=4, key_ids=False)


def test_lattice_of_same_name_cas_stops_at_the_candidate_bound(
    lattice: bytes, default_verifier: Verifier
) -> None:
    # The shape of the reported attack: 48 CAs of one name in a CMS of about 14 KB.
    assert 12_000 < len(lattice) < 20_000
    report = default_verifier.verify(lattice, content=CONTENT, at=NOW)
    assert _verdict(report) == (
        Indication.INDETERMINATE,
        SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
    )
    assert "max_issuer_candidates = 256" in report.message
    assert report.signatures[0].checks[-1].name == "certificate_path"
    # One evaluation (the signer's), so at most one total's worth of candidates.
    assert 0 < default_verifier.evaluator.candidates_considered <= 256


def test_a_larger_total_still_bounds_the_lattice(lattice: bytes) -> None:
    with _verifier(Limits(max_issuer_candidates=1000)) as verifier:
        report = verifier.verify(lattice, content=CONTENT, at=NOW)
        assert "max_issuer_candidates = 1000" in report.message
        assert verifier.evaluator.candidates_considered <= 1000


def test_key_identifiers_prune_the_lattice_to_one_path_cut_at_its_length() -> None:
    # With key identifiers, each certificate has exactly one matching issuer: the search
    # follows a single path of 13 certificates, which the length bound (10) cuts.
    cms_bytes = lattice_cms(layers=12, width=4, key_ids=True)
    with _verifier(DEFAULT_LIMITS) as verifier:
        report = verifier.verify(cms_bytes, content=CONTENT, at=NOW)
        assert _verdict(report) == (
            Indication.INDETERMINATE,
            SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
        )
        assert "max_path_length = 10" in report.message
        # One candidate per step (the AKI/SKI filter left nothing else to try): nine make
        # a path of ten certificates, and the tenth is refused for its length.
        assert verifier.evaluator.candidates_considered == 10


def test_candidates_per_step_are_bounded() -> None:
    # Nine dead-end CAs of the signer's issuer name, each issued by someone absent.
    ee_key = new_key()
    keys_ = [new_key() for _ in range(9)]
    cas = [
        issue_cert(
            subject=SAME_NAME,
            issuer=f"Absent CA {n}",
            key=k,
            issuer_key=new_key(),
            ca=True,
            key_ids=False,
            serial=10 + n,
        )
        for n, k in enumerate(keys_)
    ]
    ee = issue_cert(
        subject="Signer",
        issuer=SAME_NAME,
        key=ee_key,
        issuer_key=keys_[0],
        ca=False,
        key_ids=False,
        serial=1,
    )
    with _verifier(DEFAULT_LIMITS) as verifier:
        report = verifier.verify(sign_detached(ee, ee_key, cas), content=CONTENT, at=NOW)
        assert _verdict(report) == (
            Indication.INDETERMINATE,
            SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
        )
        assert "max_issuer_candidates_per_step = 8" in report.message
        assert verifier.evaluator.candidates_considered == 8


def test_bounded_search_still_finds_real_paths(pki: DevPki, default_verifier: Verifier) -> None:
    report = default_verifier.verify(
        sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT"), content=CONTENT
    )
    assert report.indication is Indication.TOTAL_PASSED


@pytest.mark.parametrize(
    ("limits", "named"),
    [
        (Limits(max_certificates=2), "max_certificates = 2"),
        (Limits(max_crls=1), "max_crls = 1"),
        (Limits(max_ocsp_responses=1), "max_ocsp_responses = 1"),
        (Limits(max_validation_data_bytes=4096), "max_validation_data_bytes = 4 KiB"),
    ],
)
def test_embedded_cms_data_over_a_bound_is_refused(pki: DevPki, limits: Limits, named: str) -> None:
    # A B-LT signature of the development PKI embeds 4 certificates, 2 CRLs and 2 OCSP
    # responses, about 6 KB in all.
    signature = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT")
    with _verifier(limits) as verifier:
        report = verifier.verify(signature, content=CONTENT)
    assert _verdict(report) == (
        Indication.INDETERMINATE,
        SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
    )
    assert named in report.message
    assert "the signature was not evaluated" in report.message


@pytest.fixture(scope="module")
def signed_pades_lt(pki: DevPki) -> bytes:
    return sign_pades(pki, minimal_pdf(), signer="doctor-ecdsa", level="B-LT")


@pytest.mark.parametrize(
    ("limits", "named"),
    [
        (Limits(max_certificates=3), "max_certificates = 3"),
        (Limits(max_crls=1), "max_crls = 1"),
        (Limits(max_validation_data_bytes=2048), "max_validation_data_bytes = 2 KiB"),
    ],
)
def test_dss_data_over_a_bound_is_refused(
    signed_pades_lt: bytes, limits: Limits, named: str
) -> None:
    with _verifier(limits) as verifier:
        report = verifier.verify(signed_pades_lt)
    assert _verdict(report) == (
        Indication.INDETERMINATE,
        SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
    )
    assert named in report.message


def test_pdf_within_the_bounds_still_passes(
    signed_pades_lt: bytes, default_verifier: Verifier
) -> None:
    assert default_verifier.verify(signed_pades_lt).indication is Indication.TOTAL_PASSED


ZEROS_BYTES = 200 * 1024 * 1024


@pytest.fixture(scope="module")
def crl_bomb() -> bytes:
    return deflated_zeros(ZEROS_BYTES)


def test_dss_crl_bomb_is_refused_without_inflating_it(
    pki: DevPki, crl_bomb: bytes, default_verifier: Verifier
) -> None:
    # The reported file's shape, scaled down: CRL streams that inflate 1000-fold.
    assert len(crl_bomb) < 300 * 1024
    pdf = pdf_with_crl_bomb(pki, crl_bomb, copies=3)
    tracemalloc.start()
    try:
        report = default_verifier.verify(pdf)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert _verdict(report) == (
        Indication.INDETERMINATE,
        SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
    )
    assert "max_validation_data_bytes = 32 MiB" in report.message
    # Inflation stopped at the 32 MiB bound, not at 600 MiB of zeros. zlib grows its
    # output buffer up to the bound and then copies it once: about twice the bound.
    assert peak < 80 * 1024 * 1024


def test_pyhanko_reader_limits_match_the_bounds(crl_bomb: bytes) -> None:
    # For the reader a PAdES validation opens: pyHanko's own reads get the same cap.
    from pyhanko.pdf_utils.decode_limits import DecodePurpose
    from pyhanko.pdf_utils.misc import PdfDecodeLimitError

    limits = Limits(max_validation_data_bytes=1024 * 1024)
    writer = IncrementalPdfFileWriter(BytesIO(minimal_pdf()), strict=False)
    stream = generic.StreamObject(
        {generic.pdf_name("/Filter"): generic.pdf_name("/FlateDecode")}, encoded_data=crl_bomb
    )
    ref = writer.add_object(stream)
    writer.root[generic.pdf_name("/Bomb")] = ref
    writer.update_root()  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
    out = BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    reader = PdfFileReader(out, strict=False, decode_limits=limits.pdf_decode_limits())
    bomb = reader.root["/Bomb"]
    with pytest.raises(PdfDecodeLimitError, match="1048576 bytes"):
        bomb.read_data(DecodePurpose.CRL)


def test_deeply_nested_pdf_objects_give_a_verdict(signed_pades_lt: bytes) -> None:
    # pyHanko reads nested arrays recursively: deep enough, and it raises RecursionError.
    deep = pdf_with_deep_catalog(signed_pades_lt, depth=20_000)
    guarded = GuardedVerifier(VerifierConfig(trust=(str(DEV_TRUST),)))
    try:
        report = guarded.verify(deep)
    finally:
        guarded.close()
    assert _verdict(report) == (
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
    )
    assert report.message == RECURSION_MESSAGE
    assert report.document.kind == "pades"
