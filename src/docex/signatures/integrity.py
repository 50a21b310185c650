"""Integrity of one CMS signer: its certificate, the ESS binding, digest and signature value.

Built from pyHanko's primitives (algorithm protection, the raw signature validator), but
arranged so that each check runs once: pyHanko's ``validate_sig_integrity`` repeats the
ESS check its callers already made, and asn1crypto's semantic name comparison (RFC 4518
string preparation) costs more than the signature verification itself. Names are compared
by their DER encoding first, and semantically only when the bytes differ.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from asn1crypto import cms, core, tsp, x509
from cryptography.exceptions import InvalidSignature
from pyhanko.sign.general import (
    MultivaluedAttributeError,
    NonexistentAttributeError,
    find_unique_cms_attribute,
    match_issuer_serial,
)
from pyhanko.sign.validation.utils import extract_message_digest
from pyhanko_certvalidator.sig_validate import (
    DefaultSignatureValidator,
    SignatureValidationContext,
)

from docex.signatures import dstu
from docex.signatures.cert_quirks import tolerate_unparsable_aki
from docex.signatures.cms_attributes import validate_algorithm_protection
from docex.signatures.digests import signer_digest_algorithm
from docex.signatures.parsed import ParsedCache

_VALIDATOR = DefaultSignatureValidator()


class IntegrityError(Exception):
    """The signer's structure is unusable; ``sub_indication`` names the ETSI reason."""

    def __init__(self, message: str, *, sub_indication: str) -> None:
        super().__init__(message)
        self.sub_indication = sub_indication


def find_certificate(
    sid: cms.SignerIdentifier, certs: Iterable[x509.Certificate]
) -> x509.Certificate | None:
    """The certificate a CMS signer identifier names, if present."""
    candidates = list(certs)
    for cert in candidates:
        # Before any extension is read (the key identifier below, key usage later).
        tolerate_unparsable_aki(cert)
    if sid.name == "issuer_and_serial_number":
        issuer: x509.Name = sid.chosen["issuer"]
        serial = sid.chosen["serial_number"].native
        same_serial = [c for c in candidates if c.serial_number == serial]
        issuer_der = issuer.dump()
        for cert in same_serial:
            if cert.issuer.dump() == issuer_der:
                return cert
        for cert in same_serial:
            if cert.issuer == issuer:
                return cert
        return None
    key_id = sid.chosen.native
    for cert in candidates:
        if cert.key_identifier == key_id:
            return cert
    return None


def ess_binds(
    cert: x509.Certificate,
    certid: tsp.ESSCertID | tsp.ESSCertIDv2,
    *,
    parsed: ParsedCache | None = None,
) -> bool:
    """Whether an ESS signing-certificate(-v2) identifier designates ``cert``.

    A function of the two encodings alone; with ``parsed``, the answer is kept for them.
    """
    if parsed is None:
        return _ess_binds(cert, certid)
    kind = "ess_binds_v1" if isinstance(certid, tsp.ESSCertID) else "ess_binds_v2"
    cert_der, certid_der = cert.dump(), certid.dump()
    key = len(cert_der).to_bytes(8, "big") + cert_der + certid_der
    kept = parsed.recall(kind, key)
    if isinstance(kept, bool):
        return kept
    binds = _ess_binds(cert, certid)
    parsed.remember(kind, key, binds)
    return binds


def _ess_binds(cert: x509.Certificate, certid: tsp.ESSCertID | tsp.ESSCertIDv2) -> bool:
    algorithm = (
        "sha1"
        if isinstance(certid, tsp.ESSCertID)
        else certid["hash_algorithm"]["algorithm"].native
    )
    try:
        digest = digest_by_name(algorithm, cert.dump())
    except ValueError:
        return False
    if digest != certid["cert_hash"].native:
        return False
    issuer_serial = certid["issuer_serial"]
    if not issuer_serial:
        return True
    if issuer_serial["serial_number"].native != cert.serial_number:
        return False
    issuer_der = cert.issuer.dump()
    for name in issuer_serial["issuer"]:
        # GeneralName tags directory_name explicitly; compare the Name inside the tag.
        if name.name == "directory_name" and name.chosen.untag().dump() == issuer_der:
            return True
    return bool(match_issuer_serial(issuer_serial, cert))


def signer_integrity(
    signer_info: cms.SignerInfo,
    cert: x509.Certificate,
    *,
    expected_content_type: str,
    content_digest: bytes,
) -> tuple[bool, bool]:
    """Check the message digest and the signature value of a signer with signed attributes.

    :return: (intact, valid): the digest matches the content; the signature verifies.
    :raises IntegrityError: attributes are missing, repeated or contradictory.
    """
    signed_attrs: cms.CMSAttributes = signer_info["signed_attrs"]
    try:
        validate_algorithm_protection(
            signed_attrs,
            claimed_digest_algorithm_obj=signer_info["digest_algorithm"],
            claimed_signature_algorithm_obj=signer_info["signature_algorithm"],
            claimed_mac_algorithm_obj=None,
        )
    except Exception as exc:  # pyHanko raises structural and protection errors
        raise IntegrityError(
            f"CMS algorithm protection: {exc}", sub_indication="SIG_CONSTRAINTS_FAILURE"
        ) from exc
    try:
        content_type = find_unique_cms_attribute(signed_attrs, "content_type").native
        embedded_digest = extract_message_digest(signer_info)
    except (NonexistentAttributeError, MultivaluedAttributeError) as exc:
        raise IntegrityError(
            "content-type and message-digest must each appear exactly once",
            sub_indication="FORMAT_FAILURE",
        ) from exc
    if content_type != expected_content_type:
        raise IntegrityError(
            f"content type {content_type} does not match the encapsulated {expected_content_type}",
            sub_indication="FORMAT_FAILURE",
        )
    if dstu.is_dstu_signature_algorithm(signer_info["signature_algorithm"]["algorithm"].dotted):
        valid = _dstu_signature_valid(signer_info, cert)
        return embedded_digest == content_digest, valid
    try:
        _VALIDATOR.validate_signature(
            signer_info["signature"].native,
            signed_attributes_encoding(signed_attrs),
            cert.public_key,
            signer_info["signature_algorithm"],
            context=SignatureValidationContext(
                contextual_md_algorithm=signer_digest_algorithm(signer_info),
                prehashed=False,
            ),
        )
        valid = True
    except InvalidSignature:
        valid = False
    return embedded_digest == content_digest, valid


def _dstu_signature_valid(signer_info: cms.SignerInfo, cert: x509.Certificate) -> bool:
    """Verify a DSTU 4145 signer with our own implementation (pyHanko has none).

    :raises IntegrityError: the key, the digest or the signature is malformed (FORMAT_FAILURE).
    """
    digest_algorithm = signer_info["digest_algorithm"]
    try:
        dstu.verify(
            cert["tbs_certificate"]["subject_public_key_info"],
            bytes(signer_info["signature"].native),
            signed_attributes_encoding(signer_info["signed_attrs"]),
            digest_algorithm=digest_algorithm["algorithm"].dotted,
            sbox=dstu.sbox_from_parameters(digest_algorithm["parameters"]),
            encoding=dstu.SignatureEncoding.CMS,
        )
    except dstu.DstuInvalidSignatureError:
        return False
    except dstu.DstuFormatError as exc:
        raise IntegrityError(
            f"DSTU 4145 signature cannot be evaluated: {exc}", sub_indication="FORMAT_FAILURE"
        ) from exc
    return True


def digest_by_name(algorithm: str, data: bytes) -> bytes:
    """Hash ``data`` with a digest named as asn1crypto names it (or by its dotted OID).

    The Ukrainian digests (GOST 34.311-95) first, then ``hashlib``.

    :raises ValueError: an unknown digest algorithm.
    """
    if dstu.is_dstu_digest(algorithm):
        return dstu.hash_bytes(algorithm, data)
    name = algorithm.replace("_", "-") if algorithm.startswith("sha3") else algorithm
    return hashlib.new(name, data).digest()


def signed_attributes_encoding(signed_attrs: cms.CMSAttributes) -> bytes:
    """What a signature over signed attributes signs: their DER as a universal SET OF.

    The same bytes as ``signed_attrs.untag().dump()``, without the deep copy of every
    attribute that ``untag()`` makes (and that later lookups would parse again).
    """
    return bytes(cms.CMSAttributes(contents=signed_attrs.contents).dump())


def encapsulated_bytes(signed_data: cms.SignedData) -> bytes:
    """The DER contents of the encapsulated content (for a time-stamp token: TSTInfo)."""
    content = signed_data["encap_content_info"]["content"]
    if isinstance(content, core.ParsableOctetString | core.OctetString):
        return bytes(content.contents)
    raise ValueError("no encapsulated content")
