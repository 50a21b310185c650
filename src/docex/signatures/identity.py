"""Who a certificate names: the signer's identity as Ukrainian qualified certificates carry it.

Ukrainian qualified certificates (following ETSI EN 319 412-1 semantics identifiers) put
the natural person's taxpayer number (RNOKPP) in the subject ``serialNumber`` as
``TINUA-<10 digits>`` and a legal person's EDRPOU code in ``organizationIdentifier`` as
``NTRUA-<8 digits>``.
"""

from __future__ import annotations

import functools
import re

from asn1crypto import x509

from docex.signatures.report import CertificateInfo, SignerIdentity

_RNOKPP = re.compile(r"^TINUA-(\d{10})$")
_EDRPOU = re.compile(r"^NTRUA-(\d{8})$")


def signer_identity(cert: x509.Certificate) -> SignerIdentity:
    """The identity claims of a signing certificate's subject."""
    return _signer_identity(cert.dump())


def certificate_info(cert: x509.Certificate) -> CertificateInfo:
    """A certificate's identifying facts for the report."""
    return _certificate_info(cert.dump())


# The same few certificates sign most documents; their facts are computed once per
# distinct DER encoding (a pure function of the bytes).
@functools.lru_cache(maxsize=4096)
def _signer_identity(der: bytes) -> SignerIdentity:
    cert = x509.Certificate.load(der)
    subject = cert.subject.native
    serial = _first(subject.get("serial_number"))
    org_id = _first(subject.get("organization_identifier"))
    rnokpp = _RNOKPP.match(serial) if serial else None
    edrpou = _EDRPOU.match(org_id) if org_id else None
    return SignerIdentity(
        subject=cert.subject.human_friendly,
        common_name=_first(subject.get("common_name")),
        organization=_first(subject.get("organization_name")),
        rnokpp=rnokpp.group(1) if rnokpp else None,
        edrpou=edrpou.group(1) if edrpou else None,
    )


@functools.lru_cache(maxsize=4096)
def _certificate_info(der: bytes) -> CertificateInfo:
    cert = x509.Certificate.load(der)
    return CertificateInfo(
        subject=cert.subject.human_friendly,
        issuer=cert.issuer.human_friendly,
        serial_number=format(cert.serial_number, "x"),
        sha256=cert.sha256.hex(),
        not_before=cert.not_valid_before,
        not_after=cert.not_valid_after,
    )


def _first(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) else None
