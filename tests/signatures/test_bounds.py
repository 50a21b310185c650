"""Bounds on one verification's work: path building, embedded data, PDF streams, recursion.

Each test builds the crafted input it needs (with ``cryptography`` and pyHanko), verifies
it with a verifier held to small or default bounds, and checks the exact verdict, the
bound named in the message, and the work done, counted rather than timed.
"""

from __future__ import annotations

import asyncio
import tracemalloc
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from asn1crypto import keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

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

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
SAME_NAME = "Lattice CA"


def _verifier(limits: Limits) -> Verifier:
    return bounded_verifier(
        load_trust_store([DEV_TRUST]), max_input_bytes=64 * 1024 * 1024, limits=limits
    )


@pytest.fixture
def default_verifier() -> Iterator[Verifier]:
    with _verifier(DEFAULT_LIMITS) as v:
        yield v


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _cert(
    *,
    subject: str,
    issuer: str,
    key: ec.EllipticCurvePrivateKey,
    issuer_key: ec.EllipticCurvePrivateKey,
    ca: bool,
    key_ids: bool,
    serial: int,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOW - timedelta(days=30))
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if key_ids:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        ).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _sign(
    ee: x509.Certificate, ee_key: ec.EllipticCurvePrivateKey, cas: list[x509.Certificate]
) -> bytes:
    key_der = ee_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = SimpleSigner(
        signing_cert=_asn1(ee),
        signing_key=keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in cas]),  # type: ignore[no-untyped-call]  # certvalidator leaves it unannotated
    )
    info = asyncio.run(
        signer.async_sign_general_data(
            CONTENT,
            "sha256",
            detached=True,
            use_cades=True,
            # Signed at NOW, the time the tests validate at: a signature dated after the
            # validation time cannot pass (NO_POE) and would hide the bound under test.
            signed_attr_settings=PdfCMSSignedAttributes(signing_time=NOW),
        )
    )
    der: bytes = info.dump()
    return der


def lattice_cms(*, layers: int, width: int, key_ids: bool) -> bytes:
    """A signature whose signer sits under ``layers`` x ``width`` CAs of one subject name.

    The CA of layer ``i``, column ``k`` is issued by layer ``i + 1``, column ``k + 1``
    (wrapping), so the certificates cross-link the columns; the top layer is self-issued.
    Without key identifiers, every CA certificate looks like a possible issuer of every
    other (same name), and an unbounded path search walks every simple path among them.
    """
    ca_keys = [[_key() for _ in range(width)] for _ in range(layers)]
    cas: list[x509.Certificate] = []
    serial = 1
    for i in range(layers):
        for k in range(width):
            above = ca_keys[i + 1][(k + 1) % width] if i + 1 < layers else ca_keys[i][k]
            serial += 1
            cas.append(
                _cert(
                    subject=SAME_NAME,
                    issuer=SAME_NAME,
                    key=ca_keys[i][k],
                    issuer_key=above,
                    ca=True,
                    key_ids=key_ids,
                    serial=serial,
                )
            )
    ee_key = _key()
    ee = _cert(
        subject="Lattice Signer",
        issuer=SAME_NAME,
        key=ee_key,
        issuer_key=ca_keys[0][0],
        ca=False,
        key_ids=key_ids,
        serial=1,
    )
    return _sign(ee, ee_key, cas)


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
    ee_key = _key()
    keys_ = [_key() for _ in range(9)]
    cas = [
        _cert(
            subject=SAME_NAME,
            issuer=f"Absent CA {n}",
            key=k,
            issuer_key=_key(),
            ca=True,
            key_ids=False,
            serial=10 + n,
        )
        for n, k in enumerate(keys_)
    ]
    ee = _cert(
        subject="Signer",
        issuer=SAME_NAME,
        key=ee_key,
        issuer_key=keys_[0],
        ca=False,
        key_ids=False,
        serial=1,
    )
    with _verifier(DEFAULT_LIMITS) as verifier:
        report = verifier.verify(_sign(ee, ee_key, cas), content=CONTENT, at=NOW)
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


def deflated_zeros(size: int) -> bytes:
    """``size`` zero bytes, deflated (about 1/1000 of the size), made without holding them."""
    compressor = zlib.compressobj(9)
    chunk = bytes(1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(size // len(chunk))]
    parts.append(compressor.flush())
    return b"".join(parts)


def pdf_with_crl_bomb(pki: DevPki, bomb: bytes, *, copies: int) -> bytes:
    """A signed PDF whose DSS lists ``copies`` CRL streams of ``bomb`` (Flate-encoded).

    The DSS is written before signing, so it is part of the signed revision and no
    later-changes analysis has reason to look at it: only the DSS reading does.
    """
    writer = IncrementalPdfFileWriter(BytesIO(minimal_pdf()), strict=False)
    refs = generic.ArrayObject()
    for _ in range(copies):
        stream = generic.StreamObject(
            {generic.pdf_name("/Filter"): generic.pdf_name("/FlateDecode")},
            encoded_data=bomb,
        )
        refs.append(writer.add_object(stream))
    # pyHanko leaves these three unannotated.
    dss = generic.DictionaryObject({generic.pdf_name("/CRLs"): refs})  # type: ignore[no-untyped-call]
    writer.root[generic.pdf_name("/DSS")] = writer.add_object(dss)
    writer.update_root()  # type: ignore[no-untyped-call]
    out = BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return sign_pades(pki, out.getvalue(), signer="doctor-ecdsa", level="B-B")


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


def pdf_with_deep_catalog(pdf: bytes, *, depth: int) -> bytes:
    """``pdf`` with an incremental update whose catalog holds arrays nested ``depth`` deep.

    Written by hand: pyHanko's own writer would recurse as deep as its reader does.
    """
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    root_ref = reader.trailer_view.raw_get("/Root")
    body = BytesIO()
    for key in reader.root:
        body.write(key.encode() + b" ")
        reader.root.raw_get(key).write_to_stream(body, None)
        body.write(b" ")
    nested = b"[" * depth + b"]" * depth
    obj = (
        f"{root_ref.idnum} {root_ref.generation} obj\n<< ".encode()
        + body.getvalue()
        + b"/Deep "
        + nested
        + b" >>\nendobj\n"
    )
    offset = len(pdf) + 1
    xref_at = offset + len(obj)
    tail = (
        f"xref\n0 1\n0000000000 65535 f \n{root_ref.idnum} 1\n"
        f"{offset:010d} {root_ref.generation:05d} n \n"
        f"trailer\n<< /Size {reader.trailer['/Size']} /Root {root_ref.idnum} "
        f"{root_ref.generation} R /Prev {reader.last_startxref} >>\n"
        f"startxref\n{xref_at}\n%%EOF\n"
    ).encode()
    return pdf + b"\n" + obj + tail


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
