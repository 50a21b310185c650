"""Ways to damage a CMS signature, for defect tests. Each returns new DER bytes."""

from __future__ import annotations

from asn1crypto import cms, keys, x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa


def load(der: bytes) -> cms.ContentInfo:
    return cms.ContentInfo.load(der)


def encode(info: cms.ContentInfo) -> bytes:
    """``info`` encoded again, the changed parts re-serialised rather than kept as read."""
    # asn1crypto has no type information, so its dump() is Any to mypy.
    der: bytes = info.dump(force=True)
    return der


def signer_info(info: cms.ContentInfo) -> cms.SignerInfo:
    return info["content"]["signer_infos"][0]


def flip_signature_byte(der: bytes) -> bytes:
    info = load(der)
    si = signer_info(info)
    sig = bytearray(si["signature"].native)
    sig[len(sig) // 2] ^= 0x01
    si["signature"] = bytes(sig)
    return encode(info)


def change_signing_time(der: bytes, *, year: int) -> bytes:
    """Alter a signed attribute without re-signing."""
    info = load(der)
    si = signer_info(info)
    attrs = []
    for attr in si["signed_attrs"]:
        if attr["type"].native == "signing_time":
            when = attr["values"][0].native.replace(year=year)
            attr = cms.CMSAttribute(
                {"type": "signing_time", "values": [cms.Time({"utc_time": when})]}
            )
        attrs.append(attr)
    si["signed_attrs"] = cms.CMSAttributes(attrs)
    return encode(info)


def change_attached_content(der: bytes, new_content: bytes) -> bytes:
    info = load(der)
    info["content"]["encap_content_info"]["content"] = new_content
    return encode(info)


def transplant_timestamp(der: bytes, donor: bytes) -> bytes:
    """Replace the signature time-stamp with the one from another signature."""
    info = load(der)
    token = next(
        a
        for a in signer_info(load(donor))["unsigned_attrs"]
        if a["type"].native == "signature_time_stamp_token"
    )
    si = signer_info(info)
    attrs = [a for a in si["unsigned_attrs"] if a["type"].native != "signature_time_stamp_token"]
    si["unsigned_attrs"] = cms.CMSAttributes([cms.CMSAttribute.load(token.dump()), *attrs])
    return encode(info)


def resign_with_other_ess(
    der: bytes, *, key: keys.PrivateKeyInfo, other: x509.Certificate
) -> bytes:
    """Point the signing-certificate-v2 attribute at ``other``, then sign again with ``key``.

    The signature value is valid; only the ESS binding is wrong.
    """
    import hashlib

    from asn1crypto import tsp

    info = load(der)
    si = signer_info(info)
    attrs = []
    for attr in si["signed_attrs"]:
        if attr["type"].native == "signing_certificate_v2":
            certid = tsp.ESSCertIDv2(
                {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "cert_hash": hashlib.sha256(other.dump()).digest(),
                }
            )
            attr = cms.CMSAttribute(
                {
                    "type": "signing_certificate_v2",
                    "values": [tsp.SigningCertificateV2({"certs": [certid]})],
                }
            )
        attrs.append(attr)
    signed_attrs = cms.CMSAttributes(attrs)
    si["signed_attrs"] = signed_attrs
    to_sign = cms.CMSAttributes.load(signed_attrs.dump(force=True)).dump()
    to_sign = b"\x31" + to_sign[1:]  # signed over as a universal SET OF, not [0] IMPLICIT
    si["signature"] = _sign(key, to_sign)
    # Without a fresh time-stamp over the new signature value.
    si["unsigned_attrs"] = None
    return encode(info)


def _sign(key: keys.PrivateKeyInfo, data: bytes) -> bytes:
    private = serialization.load_der_private_key(key.dump(), password=None)
    if isinstance(private, ec.EllipticCurvePrivateKey):
        return private.sign(data, ec.ECDSA(hashes.SHA256()))
    if isinstance(private, rsa.RSAPrivateKey):
        return private.sign(data, padding.PKCS1v15(), hashes.SHA256())
    raise TypeError(type(private))


def _flip_certificate_signature(cert: x509.Certificate) -> x509.Certificate:
    cert = x509.Certificate.load(cert.dump())
    signature = bytearray(cert["signature_value"].native)
    signature[len(signature) // 2] ^= 0x01
    cert["signature_value"] = bytes(signature)
    return x509.Certificate.load(cert.dump(force=True))


def alter_certificate_value(der: bytes, *, index: int) -> bytes:
    """Flip a byte in the signature of one certificate in ``certificate-values``.

    Everything else, the signer's own signature value included, stays as it was.
    """
    info = load(der)
    si = signer_info(info)
    attrs = []
    for attr in si["unsigned_attrs"]:
        if attr["type"].native == "certificate_values":
            certs = [x509.Certificate.load(c.dump()) for c in attr["values"][0]]
            certs[index] = _flip_certificate_signature(certs[index])
            attr = cms.CMSAttribute({"type": "certificate_values", "values": [certs]})
        attrs.append(cms.CMSAttribute.load(attr.dump(force=True)))
    si["unsigned_attrs"] = cms.CMSAttributes(attrs)
    return encode(info)


def alter_signer_certificate(der: bytes) -> bytes:
    """Flip a byte in the CA signature of every copy of the signer's certificate.

    The certificate keeps its issuer, serial number and key, so the signer identifier
    still names it and the signature value still verifies; only its encoding differs.
    """
    info = load(der)
    si = signer_info(info)
    serial = si["sid"].chosen["serial_number"].native

    def altered(cert: x509.Certificate) -> x509.Certificate:
        return _flip_certificate_signature(cert) if cert.serial_number == serial else cert

    signed_data = info["content"]
    signed_data["certificates"] = [
        altered(c.chosen) for c in signed_data["certificates"] if c.name == "certificate"
    ]
    attrs = []
    for attr in si["unsigned_attrs"] or ():
        if attr["type"].native == "certificate_values":
            certs = [altered(x509.Certificate.load(c.dump())) for c in attr["values"][0]]
            attr = cms.CMSAttribute({"type": "certificate_values", "values": [certs]})
        attrs.append(cms.CMSAttribute.load(attr.dump(force=True)))
    if attrs:
        si["unsigned_attrs"] = cms.CMSAttributes(attrs)
    return encode(info)
