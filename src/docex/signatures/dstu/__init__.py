"""Ukrainian signature algorithms, verification only: DSTU 4145-2002 over GOST 34.311-95
or DSTU 7564 (Kupyna).

Pure Python: GF(2^m) arithmetic (:mod:`.gf2m`), the curves and their point arithmetic
(:mod:`.curves`, :mod:`.named_curves`), the hashes (:mod:`.gost34311`, :mod:`.kupyna`), key
and signature encodings (:mod:`.asn1`, :mod:`.dstu4145`); ``sP + rQ`` is delegated to the
system's libcrypto when it loads (:mod:`.openssl_ec2m`).

The API raises rather than returns a bool: :class:`DstuFormatError` for what cannot be
evaluated (malformed encodings, unknown curves, points off the curve: FORMAT_FAILURE),
:class:`DstuInvalidSignatureError` for a signature that does not verify (SIG_CRYPTO_FAILURE).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asn1crypto import core, crl, ocsp, x509

from docex.signatures.dstu.asn1 import AnyPublicKeyInfo, SignatureEncoding
from docex.signatures.dstu.digests import DIGEST_NAMES, hash_bytes, is_dstu_digest, new_digest
from docex.signatures.dstu.errors import DstuError, DstuFormatError, DstuInvalidSignatureError
from docex.signatures.dstu.oids import (
    DSTU4145_BE,
    DSTU4145_KEY_ALGORITHMS,
    DSTU4145_KUPYNA256_LE,
    DSTU4145_LE,
    GOST34311,
    KUPYNA_256,
    KUPYNA_384,
    KUPYNA_512,
    SIGNATURE_DIGESTS,
)

if TYPE_CHECKING:
    from docex.signatures.dstu.dstu4145 import (
        DstuPublicKey,
        decode_signature,
        load_public_key,
        verify_hash,
    )

_ARITHMETIC = frozenset({"DstuPublicKey", "decode_signature", "load_public_key", "verify_hash"})
"""The names of :mod:`.dstu4145`, loaded with the first DSTU key or signature met."""


def __getattr__(name: str) -> Any:
    # Every signature asks whether its algorithms are DSTU (the OIDs and the key's
    # encoding answer); only a DSTU one needs the curves, the field arithmetic and
    # libcrypto through ctypes, which a non-Ukrainian verification need not import
    # (issue 12: a fast start).
    if name in _ARITHMETIC:
        from docex.signatures.dstu import dstu4145

        value = getattr(dstu4145, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DIGEST_NAMES",
    "DSTU4145_BE",
    "DSTU4145_KEY_ALGORITHMS",
    "DSTU4145_KUPYNA256_LE",
    "DSTU4145_LE",
    "GOST34311",
    "KUPYNA_256",
    "KUPYNA_384",
    "KUPYNA_512",
    "SIGNATURE_DIGESTS",
    "DstuError",
    "DstuFormatError",
    "DstuInvalidSignatureError",
    "DstuPublicKey",
    "SignatureEncoding",
    "decode_signature",
    "hash_bytes",
    "is_dstu_digest",
    "is_dstu_signature_algorithm",
    "key_algorithm",
    "load_public_key",
    "new_digest",
    "sbox_from_parameters",
    "verify",
    "verify_certificate_signature",
    "verify_crl_signature",
    "verify_hash",
    "verify_ocsp_signature",
]


def is_dstu_signature_algorithm(oid: str) -> bool:
    """Whether a signature (or key) algorithm OID is DSTU 4145 (with any digest)."""
    return oid in DSTU4145_KEY_ALGORITHMS or oid in SIGNATURE_DIGESTS


def key_algorithm(public_key_info: core.Asn1Value) -> str:
    """The dotted OID of a SubjectPublicKeyInfo's algorithm, for any algorithm.

    asn1crypto's ``PublicKeyInfo`` raises ``KeyError`` on every field access when it does
    not know the key algorithm (it resolves the key's type eagerly), so DSTU keys must be
    recognised from the encoding before anything reads ``public_key.algorithm``.

    :raises DstuFormatError: not a SubjectPublicKeyInfo.
    """
    try:
        info = AnyPublicKeyInfo.load(bytes(public_key_info.dump()))
        return str(info["algorithm"]["algorithm"].dotted)
    except (ValueError, TypeError, KeyError) as exc:
        raise DstuFormatError(f"malformed SubjectPublicKeyInfo: {exc}") from exc


def sbox_from_parameters(parameters: core.Asn1Value | None) -> bytes | None:
    """The S-box a GOST 34.311 AlgorithmIdentifier's parameters carry, if any.

    Absent or NULL parameters mean DKE №1; an OCTET STRING is a compressed S-box.

    :raises DstuFormatError: parameters of another kind.
    """
    if parameters is None or isinstance(parameters, core.Void | core.Null):
        return None
    der = parameters.dump()
    if not der or der == b"\x05\x00":
        return None
    try:
        return bytes(core.OctetString.load(der, strict=True).native)
    except (ValueError, TypeError) as exc:
        raise DstuFormatError(f"GOST 34.311 parameters are not an S-box: {exc}") from exc


def verify(
    public_key_info: bytes | core.Asn1Value | DstuPublicKey,
    signature: bytes,
    message: bytes,
    *,
    digest_algorithm: str = GOST34311,
    sbox: bytes | None = None,
    encoding: SignatureEncoding = SignatureEncoding.CMS,
) -> None:
    """Verify a DSTU 4145 signature over ``message``.

    :param public_key_info: the signer's SubjectPublicKeyInfo (DER or asn1crypto), or a key
        already loaded with :func:`load_public_key`.
    :param signature: the stored signature octets (see :class:`SignatureEncoding`).
    :param digest_algorithm: the digest's OID (GOST 34.311-95 by default, or Kupyna).
    :param sbox: the S-box for GOST 34.311; by default the key's DKE, else DKE №1.
    :raises DstuFormatError: the key, the signature encoding or the digest is unusable.
    :raises DstuInvalidSignatureError: the signature does not verify.
    """
    from docex.signatures.dstu.dstu4145 import (
        DstuPublicKey,
        decode_signature,
        load_public_key,
        verify_hash,
    )

    key = (
        public_key_info
        if isinstance(public_key_info, DstuPublicKey)
        else load_public_key(public_key_info)
    )
    r, s = decode_signature(signature, encoding)
    if not is_dstu_digest(digest_algorithm):
        raise DstuFormatError(f"digest {digest_algorithm} is not used with DSTU 4145")
    # BouncyCastle hashes with the S-box the key names; UAPKI with DKE №1. Every key seen
    # in practice names DKE №1, so both agree; an explicit S-box wins over either.
    if digest_algorithm == GOST34311 or digest_algorithm == "gost34311":
        digest = hash_bytes(digest_algorithm, message, sbox=sbox if sbox is not None else key.dke)
    else:
        digest = hash_bytes(digest_algorithm, message)
    verify_hash(key, digest, r, s)


def _implied_digest(algorithm: core.Asn1Value) -> str:
    oid = str(algorithm["algorithm"].dotted)
    digest = SIGNATURE_DIGESTS.get(oid)
    if digest is None:
        raise DstuFormatError(f"signature algorithm {oid} is not DSTU 4145 (little-endian)")
    return digest


def verify_certificate_signature(cert: x509.Certificate, issuer: x509.Certificate) -> None:
    """Verify a certificate's DSTU 4145 signature with its issuer's key.

    :raises DstuFormatError: not a DSTU 4145 signature, or an unusable key or encoding.
    :raises DstuInvalidSignatureError: the signature does not verify.
    """
    _verify_signed_structure(
        issuer,
        cert["signature_algorithm"],
        cert["signature_value"],
        cert["tbs_certificate"],
    )


def verify_crl_signature(crl_list: crl.CertificateList, issuer: x509.Certificate) -> None:
    """Verify a CRL's DSTU 4145 signature with its issuer's key (same errors as above)."""
    _verify_signed_structure(
        issuer, crl_list["signature_algorithm"], crl_list["signature"], crl_list["tbs_cert_list"]
    )


def verify_ocsp_signature(basic: ocsp.BasicOCSPResponse, responder: x509.Certificate) -> None:
    """Verify a BasicOCSPResponse's DSTU 4145 signature with the responder's key."""
    _verify_signed_structure(
        responder, basic["signature_algorithm"], basic["signature"], basic["tbs_response_data"]
    )


def _verify_signed_structure(
    signer: x509.Certificate, algorithm: Any, signature: Any, tbs: Any
) -> None:
    # Certificates, CRLs and OCSP responses share one shape: the DER of a "to be signed"
    # part, an algorithm identifier and a BIT STRING signature in the X.509 encoding.
    verify(
        signer["tbs_certificate"]["subject_public_key_info"],
        bytes(signature.native),
        tbs.dump(),
        digest_algorithm=_implied_digest(algorithm),
        encoding=SignatureEncoding.X509,
    )
