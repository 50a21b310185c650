"""ASN.1 structures of DSTU 4145-2002 keys (Order 1236/5/453 of 2012, DSTU 4145 Annex D).

::

    DSTU4145Params ::= SEQUENCE {
        definition CHOICE { ecbinary ECBinary, namedCurve OBJECT IDENTIFIER },
        dke OCTET STRING OPTIONAL }          -- the compressed GOST 28147 S-box
    ECBinary ::= SEQUENCE {
        version [0] EXPLICIT INTEGER DEFAULT 0,
        f BinaryField, a INTEGER (0|1), b OCTET STRING, n INTEGER, bp OCTET STRING }
    BinaryField ::= SEQUENCE { m INTEGER,
        CHOICE { trinomial INTEGER, pentanomial Pentanomial } OPTIONAL }
    Pentanomial ::= SEQUENCE { k INTEGER, j INTEGER, l INTEGER }

``b`` and the compressed base point ``bp`` are octet strings in the byte order of the key's
algorithm (little-endian for 1.2.804.2.1.1.1.1.3.1.1). A subjectPublicKey BIT STRING holds
the DER of an OCTET STRING with the compressed public point.

asn1crypto's ``PublicKeyInfo`` refuses unknown key algorithms when its key is read, so the
key info is parsed here with a generic algorithm identifier.

:class:`SignatureEncoding` says how the ``r || s`` octets are wrapped where a signature
is stored (CMS or X.509).
"""

from __future__ import annotations

from enum import Enum
from typing import ClassVar

from asn1crypto import core


class SignatureEncoding(Enum):
    """How the ``r || s`` octets are wrapped where a signature is stored."""

    # SignerInfo.signature: the OCTET STRING's contents are r || s directly.
    CMS = "cms"
    # Certificate, CRL and OCSP signatureValue: the BIT STRING holds a DER OCTET STRING of r || s.
    X509 = "x509"


class Pentanomial(core.Sequence):  # type: ignore[misc]
    """The three middle exponents of ``x^m + x^l + x^j + x^k + 1``."""

    _fields: ClassVar = [("k", core.Integer), ("j", core.Integer), ("l", core.Integer)]


class Polynomial(core.Choice):  # type: ignore[misc]
    """A trinomial's middle exponent or a pentanomial's three."""

    _alternatives: ClassVar = [("trinomial", core.Integer), ("pentanomial", Pentanomial)]


class BinaryField(core.Sequence):  # type: ignore[misc]
    """The degree and, in polynomial basis, the field polynomial."""

    _fields: ClassVar = [("m", core.Integer), ("poly", Polynomial, {"optional": True})]


class ECBinary(core.Sequence):  # type: ignore[misc]
    """Explicit curve parameters."""

    _fields: ClassVar = [
        ("version", core.Integer, {"explicit": 0, "default": 0}),
        ("f", BinaryField),
        ("a", core.Integer),
        ("b", core.OctetString),
        ("n", core.Integer),
        ("bp", core.OctetString),
    ]


class CurveDefinition(core.Choice):  # type: ignore[misc]
    """Explicit parameters or a named curve."""

    _alternatives: ClassVar = [
        ("ec_binary", ECBinary),
        ("named_curve", core.ObjectIdentifier),
    ]


class DSTU4145Params(core.Sequence):  # type: ignore[misc]
    """The parameters of a DSTU 4145 public key."""

    _fields: ClassVar = [
        ("curve", CurveDefinition),
        ("dke", core.OctetString, {"optional": True}),
    ]


class AnyAlgorithmIdentifier(core.Sequence):  # type: ignore[misc]
    """An AlgorithmIdentifier whose parameters are kept unparsed."""

    _fields: ClassVar = [
        ("algorithm", core.ObjectIdentifier),
        ("parameters", core.Any, {"optional": True}),
    ]


class AnyPublicKeyInfo(core.Sequence):  # type: ignore[misc]
    """A SubjectPublicKeyInfo for any algorithm."""

    _fields: ClassVar = [
        ("algorithm", AnyAlgorithmIdentifier),
        ("public_key", core.OctetBitString),
    ]
