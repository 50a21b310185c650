"""ASN.1 for the CAdES validation-data attributes that asn1crypto and pyHanko lack.

ETSI EN 319 122-1, clause 5.5 (``certificate-values``, ``revocation-values``), as defined
in RFC 5126 §6.3.3/§6.3.4. Importing this module registers the attributes with
asn1crypto, so ``SignerInfo['unsigned_attrs']`` parses them.
"""

from __future__ import annotations

from asn1crypto import cms, core, crl, ocsp, x509
from pyhanko.sign.ades.asn1_util import register_cms_attribute

CERTIFICATE_VALUES_OID = "1.2.840.113549.1.9.16.2.23"
REVOCATION_VALUES_OID = "1.2.840.113549.1.9.16.2.24"


class CertificateValues(core.SequenceOf):  # type: ignore[misc]
    """``CertificateValues ::= SEQUENCE OF Certificate``."""

    _child_spec = x509.Certificate


class CRLValues(core.SequenceOf):  # type: ignore[misc]
    _child_spec = crl.CertificateList


class OCSPValues(core.SequenceOf):  # type: ignore[misc]
    _child_spec = ocsp.BasicOCSPResponse


class OtherRevVals(core.Sequence):  # type: ignore[misc]
    _fields = [  # noqa: RUF012 -- asn1crypto's declarative schema is a class attribute
        ("other_rev_val_type", core.ObjectIdentifier),
        ("other_rev_vals", core.Any),
    ]


class RevocationValues(core.Sequence):  # type: ignore[misc]
    """``RevocationValues`` (RFC 5126 §6.3.4): CRLs and basic OCSP responses."""

    _fields = [  # noqa: RUF012 -- asn1crypto's declarative schema is a class attribute
        ("crl_vals", CRLValues, {"explicit": 0, "optional": True}),
        ("ocsp_vals", OCSPValues, {"explicit": 1, "optional": True}),
        ("other_rev_vals", OtherRevVals, {"explicit": 2, "optional": True}),
    ]


if CERTIFICATE_VALUES_OID not in cms.CMSAttributeType._map:
    register_cms_attribute(CERTIFICATE_VALUES_OID, "certificate_values", CertificateValues)
if REVOCATION_VALUES_OID not in cms.CMSAttributeType._map:
    register_cms_attribute(REVOCATION_VALUES_OID, "revocation_values", RevocationValues)

__all__ = [
    "CERTIFICATE_VALUES_OID",
    "REVOCATION_VALUES_OID",
    "CertificateValues",
    "RevocationValues",
]
