"""Certificates in the Ukrainian profile, for the cases the real test files do not cover.

ECDSA P-256 keys (the verifier's algorithms, so signatures made with them verify); the
national extensions are added as raw DER (``UnrecognizedExtension``), byte for byte as the
profile defines them, so that the code under test parses what a real CA would send.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import algos, cms, core, x509
from cryptography import x509 as cx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID, ObjectIdentifier

from docex.signatures.identity_ua import (
    CERTIFICATE_POLICIES,
    QC_STATEMENTS,
    SUBJECT_DIRECTORY_ATTRIBUTES,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "ua" / "profile"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def load(name: str) -> x509.Certificate:
    """A certificate from ``tests/data/ua/profile`` (DER or PEM)."""
    from asn1crypto import pem

    data = (DATA / name).read_bytes()
    if pem.detect(data):
        data = pem.unarmor(data)[2]
    return x509.Certificate.load(data)


# --- DER building blocks ---------------------------------------------------------------


def tlv(tag: int, body: bytes) -> bytes:
    """One DER TLV with a definite length."""
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def seq(*items: bytes) -> bytes:
    return tlv(0x30, b"".join(items))


def set_of(*items: bytes) -> bytes:
    return tlv(0x31, b"".join(items))


def oid(dotted: str) -> bytes:
    return bytes(core.ObjectIdentifier(dotted).dump())


def printable(text: str) -> bytes:
    return bytes(core.PrintableString(text).dump())


def utf8(text: str) -> bytes:
    return bytes(core.UTF8String(text).dump())


def bmp(text: str) -> bytes:
    return bytes(core.BMPString(text).dump())


def directory_attributes(*attributes: tuple[str, Sequence[bytes]]) -> bytes:
    """subjectDirectoryAttributes: ``SEQUENCE OF Attribute {type, SET OF value}``."""
    return seq(*(seq(oid(kind), set_of(*values)) for kind, values in attributes))


def qc_statements(*statements: tuple[str, bytes | None]) -> bytes:
    """QCStatements: ``SEQUENCE OF {statementId, statementInfo OPTIONAL}``."""
    return seq(*(seq(oid(kind), info or b"") for kind, info in statements))


def policies(*oids: str) -> bytes:
    return seq(*(seq(oid(o)) for o in oids))


def monetary_value(currency: str, amount: int, exponent: int) -> bytes:
    """QcEuLimitValue's MonetaryValue."""
    return seq(
        printable(currency),
        bytes(core.Integer(amount).dump()),
        bytes(core.Integer(exponent).dump()),
    )


# --- certificates ----------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def pem(self) -> bytes:
        return cx.load_der_x509_certificate(self.cert.dump()).public_bytes(
            serialization.Encoding.PEM
        )


def make_root(common_name: str = "Тестовий ЦСК (TEST ONLY)") -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    name = cx.Name(
        [
            cx.NameAttribute(NameOID.COUNTRY_NAME, "UA"),
            cx.NameAttribute(NameOID.ORGANIZATION_NAME, "Тестовий надавач"),
            cx.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    builder = (
        cx.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(cx.random_serial_number())
        .not_valid_before(NOW - timedelta(days=365))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(cx.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            cx.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(cx.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    cert = builder.sign(key, hashes.SHA256())
    return Issued(x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)), key)


def make_leaf(
    issuer: Issued,
    *,
    common_name: str = "Шевченко Тарас Григорович",  # noqa: RUF001
    serial_number: str | None = None,
    organization_identifier: str | None = None,
    sda: bytes | None = None,
    statements: bytes | None = None,
    policy_der: bytes | None = None,
    ekus: Iterable[str] = (),
    non_repudiation: bool = True,
    serial: int | None = None,
    serial_number_type: _ASN1Type = _ASN1Type.UTF8String,
) -> Issued:
    """An end-entity certificate with the given Ukrainian-profile parts.

    ``serial`` may be negative, which RFC 5280 forbids and ``cryptography`` refuses to
    build: the certificate is then re-serialised with asn1crypto and signed again.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [
        cx.NameAttribute(NameOID.COUNTRY_NAME, "UA"),
        cx.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if serial_number is not None:
        # UTF8String by default: a passport series is Cyrillic, which PrintableString
        # cannot carry.
        attributes.append(
            cx.NameAttribute(NameOID.SERIAL_NUMBER, serial_number, _type=serial_number_type)
        )
    if organization_identifier is not None:
        attributes.append(cx.NameAttribute(ObjectIdentifier("2.5.4.97"), organization_identifier))
    issuer_cert = cx.load_der_x509_certificate(issuer.cert.dump())
    builder = (
        cx.CertificateBuilder()
        .subject_name(cx.Name(attributes))
        .issuer_name(issuer_cert.subject)
        .public_key(key.public_key())
        .serial_number(abs(serial) if serial else cx.random_serial_number())
        .not_valid_before(NOW - timedelta(days=30))
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(cx.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            cx.KeyUsage(
                digital_signature=True,
                content_commitment=non_repudiation,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            cx.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    )
    for dotted, der in (
        (SUBJECT_DIRECTORY_ATTRIBUTES, sda),
        (QC_STATEMENTS, statements),
        (CERTIFICATE_POLICIES, policy_der),
    ):
        if der is not None:
            builder = builder.add_extension(
                cx.UnrecognizedExtension(ObjectIdentifier(dotted), der), critical=False
            )
    eku_list = [ObjectIdentifier(e) for e in ekus]
    if eku_list:
        builder = builder.add_extension(cx.ExtendedKeyUsage(eku_list), critical=False)
    built = builder.sign(issuer.key, hashes.SHA256())
    cert = x509.Certificate.load(built.public_bytes(serialization.Encoding.DER))
    if serial is not None and serial < 0:
        cert = _resigned_with_serial(cert, issuer.key, serial)
    return Issued(cert, key)


def _resigned_with_serial(
    cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, serial: int
) -> x509.Certificate:
    tbs = x509.TbsCertificate.load(cert["tbs_certificate"].dump())
    tbs["serial_number"] = serial
    tbs_der = tbs.dump(force=True)
    signature = key.sign(tbs_der, ec.ECDSA(hashes.SHA256()))
    return x509.Certificate(
        {
            "tbs_certificate": x509.TbsCertificate.load(tbs_der),
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
            "signature_value": signature,
        }
    )


def certs_only_bundle(certs: Iterable[x509.Certificate]) -> bytes:
    """A certs-only CMS SignedData (the shape of ``CACertificates.p7b``), DER."""
    signed = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [],
            "encap_content_info": {"content_type": "data"},
            "certificates": [cms.CertificateChoices({"certificate": c}) for c in certs],
            "signer_infos": [],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump())


def sign_trusted_list(xml: bytes, signer: Issued) -> bytes:
    """The TS 119 612 list with an enveloped XAdES signature by ``signer`` (signxml)."""
    from lxml import etree
    from signxml.algorithms import DigestAlgorithm, SignatureMethod
    from signxml.xades.xades import XAdESSigner

    root = etree.fromstring(xml)
    signed = XAdESSigner(
        signature_algorithm=SignatureMethod.ECDSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
    ).sign(root, key=signer.key, cert=[cx.load_der_x509_certificate(signer.cert.dump())])
    return bytes(etree.tostring(signed, encoding="UTF-8", xml_declaration=True))
