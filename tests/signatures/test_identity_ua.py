"""The signer's identity in the Ukrainian certificate profile: real and generated certificates."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from asn1crypto import keys
from cryptography.hazmat.primitives import serialization
from cryptography.x509.name import _ASN1Type
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from docex.signatures.identity import certificate_info, signer_identity
from docex.signatures.identity_ua import (
    DRFO_ATTRIBUTE,
    EDRPOU_ATTRIBUTE,
    canonical_drfo,
    public_key_algorithm_oid,
    ua_identifiers,
)
from docex.signatures.report import CheckOutcome, Indication, SubIndication
from docex.signatures.trust import trust_store_from_certificates
from docex.signatures.verifier import Verifier
from tests.signatures.ua_pki import (
    Issued,
    bmp,
    directory_attributes,
    load,
    make_leaf,
    make_root,
    printable,
    utf8,
)

DSTU_4145 = "1.2.804.2.1.1.1.1.3.1.1"
DIIA_SIGNER = "diia-test-sign-7775603.cer"
DIIA_FILES = [
    "CAO-05E19E2CD92EA2990100000001000000C1000000.cer",
    "diia-CA-05E19E2CD92EA2990100000001000000E1000000.cer",
    "diia-ocsp-3ED5083160DBC59B0200000001000000202B0F00.cer",
    "diia-2023-tsp-05E19E2CD92EA29902000000010000004A010000.cer",
    "diia-test-sign-7775603.cer",
    "diia-test-kep-7775604.cer",
]


# --- real certificates -----------------------------------------------------------------


def test_diia_test_signer_names_its_legal_person_by_directory_attribute() -> None:
    # The UAPKI test key's certificate carries no TINUA-/NTRUA- identifiers; its EDRPOU is
    # only in subjectDirectoryAttributes, and its serialNumber (401065) is no DRFO.
    cert = load(DIIA_SIGNER)
    identity = signer_identity(cert)
    assert identity.common_name == "ДП ДІЯ (Тестування)"
    assert identity.organization == "ДП ДІЯ (Тестування)"
    assert (identity.rnokpp, identity.edrpou) == (None, "43395033")
    ids = ua_identifiers(cert)
    assert (ids.edrpou_attribute, ids.edrpou_subject) == ("43395033", None)
    # The same certificate is the signer's inside the UAPKI CAdES samples.
    assert certificate_info(cert).sha256 == (
        "87638df7d34be31e221be426f7906a58343a29260ed037826183bf64cdc76be8"
    )
    assert certificate_info(cert).serial_number == "3ed5083160dbc59b04000000a91e060073a57600"


def test_tax_service_seal_reads_its_edrpou_and_not_its_serial_number() -> None:
    identity = signer_identity(load("SFS_1.cer"))
    assert identity.organization == "Державна фіскальна служба України"
    assert (identity.rnokpp, identity.edrpou) == (None, "39292197")


def test_natural_person_in_the_etsi_profile() -> None:
    identity = signer_identity(load("dss-ua-esign-ecdsa.cer"))
    assert identity.common_name == "Serhii Kosminskyi"
    assert (identity.rnokpp, identity.edrpou) == ("3172011353", "43395033")


@pytest.mark.parametrize("name", DIIA_FILES)
def test_dstu_public_key_is_read_as_a_dotted_oid(name: str) -> None:
    cert = load(name)
    # asn1crypto alone raises KeyError on any look at a DSTU 4145 key; whether it does
    # here depends on whether pyHanko's PQC set-up has patched its spec callback yet, so
    # our reader must not depend on either, nor on what a failed look left behind.
    with contextlib.suppress(KeyError):
        _ = cert.public_key["algorithm"]
    assert public_key_algorithm_oid(cert) == DSTU_4145
    info = certificate_info(cert)
    assert info.sha256 == cert.sha256.hex()
    assert signer_identity(cert).subject == cert.subject.human_friendly


def test_ecdsa_public_key_oid() -> None:
    assert public_key_algorithm_oid(load("CA-Justice-ECDSA-261217.pem")) == "1.2.840.10045.2.1"


@pytest.mark.parametrize(
    ("name", "organization", "serial"),
    [
        # A malformed authorityKeyIdentifier (primitive where a SEQUENCE belongs).
        ("SELF_SIGNED1.cer", "Very Much CA", "5f14f000"),
        # A privateKeyUsagePeriod whose GeneralizedTime is constructed.
        (
            "SFS_1.cer",
            "Державна фіскальна служба України",
            format(load("SFS_1.cer").serial_number, "x"),
        ),
    ],
)
def test_quirky_extensions_do_not_stop_identity(name: str, organization: str, serial: str) -> None:
    cert = load(name)
    with pytest.raises(ValueError, match="Error parsing"):
        _ = cert.native  # what a naive reader of every extension runs into
    assert signer_identity(cert).organization == organization
    assert certificate_info(cert).serial_number == serial


# --- generated certificates: the two profiles ------------------------------------------


@pytest.fixture(scope="module")
def root() -> Issued:
    return make_root()


def _sda(drfo: bytes | None = None, edrpou: bytes | None = None) -> bytes:
    attributes = []
    if drfo is not None:
        attributes.append((DRFO_ATTRIBUTE, [drfo]))
    if edrpou is not None:
        attributes.append((EDRPOU_ATTRIBUTE, [edrpou]))
    return directory_attributes(*attributes)


@pytest.mark.parametrize(
    ("drfo", "expected"),
    [
        (printable("1234567890"), "1234567890"),
        (utf8("1234567890"), "1234567890"),
        (utf8("АБ123456"), "АБ123456"),  # noqa: RUF001
        (utf8("аб 123456"), "АБ123456"),  # noqa: RUF001
        # A series typed with Latin look-alikes is the same passport.
        (printable("BK123456"), "ВК123456"),  # noqa: RUF001
        (printable("123456789"), "123456789"),
        (bmp("ВК123456"), "ВК123456"),  # noqa: RUF001
        (printable("12345"), None),
        (utf8("ЖЖЖ123456"), None),
    ],
)
def test_drfo_from_directory_attributes(root: Issued, drfo: bytes, expected: str | None) -> None:
    leaf = make_leaf(root, sda=_sda(drfo=drfo, edrpou=utf8("12345678")))
    identity = signer_identity(leaf.cert)
    assert (identity.rnokpp, identity.edrpou) == (expected, "12345678")


@pytest.mark.parametrize(
    ("serial_number", "expected"),
    [
        ("TINUA-1234567890", "1234567890"),
        ("PASUA-АБ123456", "АБ123456"),  # noqa: RUF001
        ("IDCUA-123456789", "123456789"),
        # Each semantics identifier names one kind of document.
        ("TINUA-АБ123456", None),  # noqa: RUF001
        ("PASUA-1234567890", None),
        ("IDCUA-1234567890", None),
        ("1234567890", None),
    ],
)
def test_drfo_from_semantics_identifier(
    root: Issued, serial_number: str, expected: str | None
) -> None:
    leaf = make_leaf(root, serial_number=serial_number)
    assert signer_identity(leaf.cert).rnokpp == expected


@pytest.mark.parametrize(
    "string_type", [_ASN1Type.UTF8String, _ASN1Type.PrintableString, _ASN1Type.BMPString]
)
def test_semantics_identifier_in_any_string_type(root: Issued, string_type: _ASN1Type) -> None:
    leaf = make_leaf(root, serial_number="TINUA-1234567890", serial_number_type=string_type)
    assert signer_identity(leaf.cert).rnokpp == "1234567890"


def test_profiles_that_agree_give_the_identifier(root: Issued) -> None:
    leaf = make_leaf(
        root,
        serial_number="TINUA-1234567890",
        organization_identifier="NTRUA-12345678",
        sda=_sda(drfo=printable("1234567890"), edrpou=printable("12345678")),
    )
    identity = signer_identity(leaf.cert)
    assert (identity.rnokpp, identity.edrpou) == ("1234567890", "12345678")


def test_profiles_that_disagree_name_nobody(root: Issued) -> None:
    leaf = make_leaf(
        root,
        serial_number="TINUA-1234567890",
        organization_identifier="NTRUA-12345678",
        sda=_sda(drfo=printable("0987654321"), edrpou=printable("87654321")),
    )
    identity = signer_identity(leaf.cert)
    assert (identity.rnokpp, identity.edrpou) == (None, None)
    ids = ua_identifiers(leaf.cert)
    assert (ids.drfo_subject, ids.drfo_attribute) == ("1234567890", "0987654321")


def test_two_different_drfo_values_name_nobody(root: Issued) -> None:
    sda = directory_attributes((DRFO_ATTRIBUTE, [printable("1234567890"), printable("1111111111")]))
    assert signer_identity(make_leaf(root, sda=sda).cert).rnokpp is None


def test_malformed_directory_attributes_are_ignored(root: Issued) -> None:
    leaf = make_leaf(root, serial_number="TINUA-1234567890", sda=b"\x30\x03\x02\x01")
    assert signer_identity(leaf.cert).rnokpp == "1234567890"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234567890", "1234567890"),
        (" 1234567890 ", "1234567890"),
        ("123456789", "123456789"),
        ("АБ123456", "АБ123456"),  # noqa: RUF001
        ("АБ-123456", "АБ123456"),  # noqa: RUF001
        ("їґ123456", "ЇҐ123456"),
        ("AB123456", "АВ123456"),  # noqa: RUF001
        ("12345678", None),
        ("12345678901", None),
        ("QW123456", None),
        ("АБ1234567", None),  # noqa: RUF001
        ("", None),
    ],
)
def test_canonical_drfo(value: str, expected: str | None) -> None:
    assert canonical_drfo(value) == expected


# --- negative serial numbers -----------------------------------------------------------


def test_negative_serial_number_is_reported_with_its_sign(root: Issued) -> None:
    leaf = make_leaf(root, serial_number="TINUA-1234567890", serial=-12345)
    assert leaf.cert.serial_number == -12345
    assert certificate_info(leaf.cert).serial_number == "-3039"
    assert signer_identity(leaf.cert).rnokpp == "1234567890"


def test_negative_serial_signer_is_found_and_bound(root: Issued) -> None:
    # issuerAndSerialNumber carries the negative serial; the verifier must still find the
    # signer's certificate and accept the ESS signing-certificate binding.
    leaf = make_leaf(root, serial_number="TINUA-1234567890", serial=-12345)
    private_key = keys.PrivateKeyInfo.load(
        leaf.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    signer = SimpleSigner(
        signing_cert=leaf.cert,
        signing_key=private_key,
        cert_registry=SimpleCertificateStore.from_certs([root.cert]),  # type: ignore[no-untyped-call]
    )
    signed = asyncio.run(
        signer.async_sign_general_data(b"123", "sha256", detached=False, use_cades=True)
    )
    with Verifier(trust_store_from_certificates([root.cert])) as verifier:
        report = verifier.verify(signed.dump())
    signature = report.signatures[0]
    outcomes = {check.name: check.outcome for check in signature.checks}
    assert outcomes["signing_certificate"] is CheckOutcome.PASSED
    assert outcomes["signature_value"] is CheckOutcome.PASSED
    assert signature.certificate_chain[0].serial_number == "-3039"
    assert signature.signer is not None
    assert signature.signer.rnokpp == "1234567890"
    # No OCSP or CRL for this test leaf: the verdict waits for revocation data.
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    )
