"""DSTU 4145 inside pyhanko-certvalidator: signature verification and algorithm policy.

Ukrainian chains are DSTU-signed throughout: CA certificates (the central root uses a
431-bit field), CRLs, OCSP responses. certvalidator verifies those with pyca/cryptography,
which knows no DSTU 4145 and fails with ``UnsupportedAlgorithm`` on the keys; its default
algorithm policy reads ``SignedDigestAlgorithm.hash_algo``, which asn1crypto cannot answer
for the Ukrainian OIDs. Its two plug-in points take the objects defined here:

* :class:`DocexSignatureValidator` (``ValidationContext(signature_validator=...)``) sends
  DSTU 4145 signatures to :mod:`docex.signatures.dstu` and everything else to
  certvalidator's default, raising ``InvalidSignature`` as the default does;
* :class:`DocexAlgorithmPolicy` (``ValidationContext(algorithm_usage_policy=...)``) judges
  DSTU algorithms and keys by :mod:`docex.signatures.algorithms` (fields of at least 257
  bits, GOST 34.311-95 or Kupyna) and leaves the others to certvalidator's default policy.
"""

from __future__ import annotations

import functools
from datetime import datetime

from asn1crypto import algos, core, keys
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko_certvalidator.policy_decl import (
    AlgorithmUsageConstraint,
    AlgorithmUsagePolicy,
    DisallowWeakAlgorithmsPolicy,
)
from pyhanko_certvalidator.sig_validate import (
    DEFAULT_VALIDATION_CONTEXT,
    DefaultSignatureValidator,
    SignatureValidationContext,
    SignatureValidator,
)

from docex.signatures import dstu
from docex.signatures.algorithms import ALLOWED_DIGESTS, check_public_key
from docex.signatures.der import OID, SEQUENCE, DerReader, NotDerError

DSTU_KEY_MEMO_SIZE = 1024
"""Public keys (by their exact encodings) remembered as DSTU or not: CA, responder and
TSA keys repeat; signers' keys are as many as the signers seen, and the oldest go."""


def _is_dstu_key(public_key_info: keys.PublicKeyInfo) -> bool:
    return _is_dstu_key_encoding(bytes(public_key_info.dump()))


@functools.lru_cache(maxsize=DSTU_KEY_MEMO_SIZE)
def _is_dstu_key_encoding(der: bytes) -> bool:
    # Whether a key is DSTU is a function of its encoding alone, asked for every signature
    # certvalidator or the evidence caches check (an OCSP responder's key, per signature):
    # re-reading the key each time cost more than the dict lookup on its exact bytes. A key
    # one bit off is another key, read afresh. asn1crypto's PublicKeyInfo raises KeyError
    # on any field of a key it does not know, so the algorithm is read from the encoding
    # (see dstu.key_algorithm).
    try:
        return dstu.is_dstu_signature_algorithm(dstu.key_algorithm(core.Any.load(der)))
    except dstu.DstuFormatError:
        return False


class DocexSignatureValidator(SignatureValidator):
    """certvalidator's signature validator, with DSTU 4145 (X.509 encoding) added.

    A signature is DSTU when its algorithm OID is a DSTU 4145 one or the key is a DSTU
    key; one without the other cannot verify. Certificates, CRLs and OCSP responses all
    store the DSTU signature as a BIT STRING wrapping an OCTET STRING of r‖s
    (little-endian), which is :attr:`dstu.SignatureEncoding.X509`.
    """

    def __init__(self, default: SignatureValidator | None = None) -> None:
        self._default = default or DefaultSignatureValidator()
        # certvalidator's default validator is the one _verify_directly stands in for.
        self._direct = type(self._default) is DefaultSignatureValidator

    def validate_signature(
        self,
        signature: bytes,
        signed_data: bytes,
        public_key_info: keys.PublicKeyInfo,
        signature_algorithm: algos.SignedDigestAlgorithm,
        context: SignatureValidationContext = DEFAULT_VALIDATION_CONTEXT,
    ) -> None:
        """Verify ``signature`` over ``signed_data`` with ``public_key_info``.

        :raises InvalidSignature: the signature does not verify, or cannot be evaluated
            (an unusable DSTU key or encoding, a DSTU key with another algorithm): a
            signature that cannot be checked must not count as checked.
        """
        if (
            self._direct
            and not context.prehashed
            and context.contextual_md_algorithm is None
            and _verify_directly(
                bytes(signature),
                signed_data,
                bytes(public_key_info.dump()),
                bytes(signature_algorithm.dump()),
            )
        ):
            return
        oid = signature_algorithm["algorithm"].dotted
        dstu_algorithm = dstu.is_dstu_signature_algorithm(oid)
        dstu_key = _is_dstu_key(public_key_info)
        if not dstu_algorithm and not dstu_key:
            self._default.validate_signature(
                signature, signed_data, public_key_info, signature_algorithm, context
            )
            return
        if not (dstu_algorithm and dstu_key):
            raise InvalidSignature(
                f"signature algorithm {oid} does not match the key's algorithm "
                "(DSTU 4145 with another)"
            )
        digest = dstu.SIGNATURE_DIGESTS.get(oid)
        if digest is None:
            raise InvalidSignature(f"DSTU 4145 signature algorithm {oid} names no digest")
        if context.prehashed:
            # certvalidator never pre-hashes X.509 structures; refuse rather than guess.
            raise InvalidSignature("pre-hashed DSTU 4145 signatures are not supported")
        try:
            dstu.verify(
                public_key_info,
                bytes(signature),
                signed_data,
                digest_algorithm=digest,
                encoding=dstu.SignatureEncoding.X509,
            )
        except dstu.DstuFormatError as exc:
            raise InvalidSignature(f"DSTU 4145 signature cannot be evaluated: {exc}") from exc


# The AlgorithmIdentifier encodings verified here directly, as certvalidator's default
# validator verifies them (``_validate_raw``: PKCS#1 v1.5 or ECDSA with the named hash),
# without asn1crypto reading the algorithm and key on every call. RSA with and without the
# NULL parameters RFC 4055 allows; ECDSA without parameters (RFC 5758).
_RSA_PKCS1 = "2a864886f70d0101"
_ECDSA = "2a8648ce3d0403"
_DIRECT: dict[bytes, tuple[str, type[hashes.HashAlgorithm]]] = {}
for _suffix, _hash in (("0b", hashes.SHA256), ("0c", hashes.SHA384), ("0d", hashes.SHA512)):
    _oid = bytes.fromhex("0609" + _RSA_PKCS1 + _suffix)
    _DIRECT[bytes([0x30, len(_oid) + 2]) + _oid + b"\x05\x00"] = ("rsa", _hash)
    _DIRECT[bytes([0x30, len(_oid)]) + _oid] = ("rsa", _hash)
for _suffix, _hash in (("02", hashes.SHA256), ("03", hashes.SHA384), ("04", hashes.SHA512)):
    _oid = bytes.fromhex("0608" + _ECDSA + _suffix)
    _DIRECT[bytes([0x30, len(_oid)]) + _oid] = ("ec", _hash)
# The key's own algorithm, as its SubjectPublicKeyInfo names it: rsaEncryption (not
# RSASSA-PSS, whose keys certvalidator reads apart) and id-ecPublicKey.
_KEY_ALGORITHMS = {
    bytes.fromhex("06092a864886f70d010101"): "rsa",
    bytes.fromhex("06072a8648ce3d0201"): "ec",
}

PUBLIC_KEY_MEMO_SIZE = 1024
"""Public keys (by their exact encodings) kept loaded for direct verification."""


def _verify_directly(signature: bytes, data: bytes, key_der: bytes, algorithm_der: bytes) -> bool:
    """Verify an RSA PKCS#1 v1.5 or ECDSA signature without certvalidator's machinery.

    False when the algorithm or key is not one verified here (certvalidator's validator
    then decides, as before); True when the signature verified.

    :raises InvalidSignature: it does not verify.
    """
    direct = _DIRECT.get(algorithm_der)
    if direct is None:
        return False
    kind, digest = direct
    key = _loaded_key(key_der)
    if key is None or key[0] != kind:
        return False
    public_key = key[1]
    if isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(signature, data, padding.PKCS1v15(), digest())
    else:
        public_key.verify(signature, data, ec.ECDSA(digest()))
    return True


@functools.lru_cache(maxsize=PUBLIC_KEY_MEMO_SIZE)
def _loaded_key(
    der: bytes,
) -> tuple[str, rsa.RSAPublicKey | ec.EllipticCurvePublicKey] | None:
    # Loading a key is a pure function of its encoding, and cryptography's key objects
    # are immutable, so one loaded key serves every thread. A key one bit off is another
    # key, loaded (or refused) afresh.
    try:
        spki = DerReader(der).only(SEQUENCE)
        start, end = spki.inside(SEQUENCE).element(OID)
        kind = _KEY_ALGORITHMS.get(der[start:end])
        if kind is None:
            return None
        key = serialization.load_der_public_key(der)
    except (NotDerError, ValueError, UnsupportedAlgorithm):
        return None
    if kind == "rsa" and isinstance(key, rsa.RSAPublicKey):
        return kind, key
    if kind == "ec" and isinstance(key, ec.EllipticCurvePublicKey):
        return kind, key
    return None


class DocexAlgorithmPolicy(AlgorithmUsagePolicy):
    """certvalidator's algorithm policy, deciding DSTU algorithms as docex's policy does.

    :param default: the policy for every other algorithm (certvalidator's default,
        :class:`DisallowWeakAlgorithmsPolicy`, unless given).
    """

    def __init__(self, default: AlgorithmUsagePolicy | None = None) -> None:
        # certvalidator leaves this constructor unannotated.
        self._default = default or DisallowWeakAlgorithmsPolicy()  # type: ignore[no-untyped-call]

    def digest_algorithm_allowed(
        self, algo: algos.DigestAlgorithm, moment: datetime | None
    ) -> AlgorithmUsageConstraint:
        """DSTU digests by docex's allow-list, the rest by the default policy."""
        oid = algo["algorithm"].dotted
        if dstu.is_dstu_digest(oid):
            if oid in ALLOWED_DIGESTS:
                return AlgorithmUsageConstraint(allowed=True)
            return AlgorithmUsageConstraint(
                allowed=False, failure_reason=f"digest algorithm {oid} is not allowed"
            )
        result: AlgorithmUsageConstraint = self._default.digest_algorithm_allowed(algo, moment)
        return result

    def signature_algorithm_allowed(
        self,
        algo: algos.SignedDigestAlgorithm,
        moment: datetime | None,
        public_key: keys.PublicKeyInfo | None,
    ) -> AlgorithmUsageConstraint:
        """DSTU 4145 (by OID or by key) by docex's policy, the rest by the default policy."""
        oid = algo["algorithm"].dotted
        dstu_algorithm = dstu.is_dstu_signature_algorithm(oid)
        dstu_key = public_key is not None and _is_dstu_key(public_key)
        if not dstu_algorithm and not dstu_key:
            result: AlgorithmUsageConstraint = self._default.signature_algorithm_allowed(
                algo, moment, public_key
            )
            return result
        if not dstu_algorithm:
            return AlgorithmUsageConstraint(
                allowed=False,
                failure_reason=f"a DSTU 4145 key cannot sign with {algo['algorithm'].native}",
            )
        if public_key is not None and not dstu_key:
            return AlgorithmUsageConstraint(
                allowed=False, failure_reason=f"DSTU 4145 algorithm {oid} with a non-DSTU key"
            )
        digest = dstu.SIGNATURE_DIGESTS.get(oid)
        if digest is None or digest not in ALLOWED_DIGESTS:
            return AlgorithmUsageConstraint(
                allowed=False, failure_reason=f"DSTU 4145 algorithm {oid} names no allowed digest"
            )
        if public_key is None:
            return AlgorithmUsageConstraint(allowed=True)
        verdict = check_public_key(public_key)
        return AlgorithmUsageConstraint(
            allowed=verdict.acceptable,
            failure_reason=None if verdict.acceptable else verdict.message,
        )


SIGNATURE_VALIDATOR = DocexSignatureValidator()
"""Stateless; one instance serves every validation context."""
ALGORITHM_POLICY = DocexAlgorithmPolicy()
"""Stateless; one instance serves every validation context."""
