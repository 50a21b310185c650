"""Who a certificate names: the signer's identity as Ukrainian qualified certificates carry it.

Two profiles are read (see :mod:`docex.signatures.identity_ua` and
``docs/ukrainian-profile.md``): the ETSI EN 319 412-1 semantics identifiers in the subject
(``serialNumber`` ``TINUA-<RNOKPP>``, ``PASUA-``/``IDCUA-`` for a person registered by
passport, ``organizationIdentifier`` ``NTRUA-<EDRPOU>``) and the national
subjectDirectoryAttributes (DRFO ``1.2.804.2.1.1.1.11.1.4.1.1``, EDRPOU
``1.2.804.2.1.1.1.11.1.4.2.1``). ``SignerIdentity.rnokpp`` holds the person's DRFO
identifier in canonical form: the RNOKPP (10 digits) or, for a person who refused one, the
passport series and number (e.g. ``ЮЖ123456``) or the ID card number (9 digits), which is what
the registry stores for such an employee. When the two profiles name different people the
identifier is left out: binding the signature to either would be a guess.
"""

from __future__ import annotations

import functools

from asn1crypto import x509

from docex.signatures.identity_ua import ua_identifiers
from docex.signatures.report import CertificateInfo, SignerIdentity


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
    ids = ua_identifiers(cert)
    return SignerIdentity(
        subject=cert.subject.human_friendly,
        common_name=_first(subject.get("common_name")),
        organization=_first(subject.get("organization_name")),
        rnokpp=ids.drfo,
        edrpou=ids.edrpou,
    )


@functools.lru_cache(maxsize=4096)
def _certificate_info(der: bytes) -> CertificateInfo:
    cert = x509.Certificate.load(der)
    return CertificateInfo(
        subject=cert.subject.human_friendly,
        issuer=cert.issuer.human_friendly,
        # A negative serial (RFC 5280 forbids it, some CAs issued them) keeps its sign:
        # "-1f", not the two's complement, so it reads as the number the CA wrote.
        serial_number=format(cert.serial_number, "x"),
        sha256=cert.sha256.hex(),
        not_before=cert.not_valid_before,
        not_after=cert.not_valid_after,
    )


def _first(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) else None
