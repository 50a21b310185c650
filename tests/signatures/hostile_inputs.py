"""Crafted inputs that make a verifier work hard: CA lattices, CRL bombs, deep PDF objects.

Built with ``cryptography`` and pyHanko, so that the bounds tests and the worker-process
tests verify the same hostile inputs.
"""

from __future__ import annotations

import asyncio
import zlib
from datetime import UTC, datetime, timedelta
from io import BytesIO

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
from docex.devpki.signing import sign_pades
from tests.signatures.conftest import CONTENT

# The certificates here are valid around NOW, and their signatures are made at NOW: the
# tests validate at NOW, so that only the bound under test can stop a verification.
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
# The subject (and issuer) name every lattice CA shares.
SAME_NAME = "Lattice CA"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def new_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 key."""
    return ec.generate_private_key(ec.SECP256R1())


def issue_cert(
    *,
    subject: str,
    issuer: str,
    key: ec.EllipticCurvePrivateKey,
    issuer_key: ec.EllipticCurvePrivateKey,
    ca: bool,
    key_ids: bool,
    serial: int,
) -> x509.Certificate:
    """A certificate valid around :data:`NOW`, for a CA or for a signer (non-repudiation)."""
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


def sign_detached(
    ee: x509.Certificate, ee_key: ec.EllipticCurvePrivateKey, cas: list[x509.Certificate]
) -> bytes:
    """A detached CAdES signature of ``CONTENT`` by ``ee``, carrying the ``cas``, made at NOW."""
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
    ca_keys = [[new_key() for _ in range(width)] for _ in range(layers)]
    cas: list[x509.Certificate] = []
    serial = 1
    for i in range(layers):
        for k in range(width):
            above = ca_keys[i + 1][(k + 1) % width] if i + 1 < layers else ca_keys[i][k]
            serial += 1
            cas.append(
                issue_cert(
                    subject=SAME_NAME,
                    issuer=SAME_NAME,
                    key=ca_keys[i][k],
                    issuer_key=above,
                    ca=True,
                    key_ids=key_ids,
                    serial=serial,
                )
            )
    ee_key = new_key()
    ee = issue_cert(
        subject="Lattice Signer",
        issuer=SAME_NAME,
        key=ee_key,
        issuer_key=ca_keys[0][0],
        ca=False,
        key_ids=key_ids,
        serial=1,
    )
    return sign_detached(ee, ee_key, cas)


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
