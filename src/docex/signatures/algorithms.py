"""The cryptographic algorithm policy for signatures.

Allow-list based: a digest, key type or curve not listed here is refused, so an unknown
algorithm can never pass by default. The policy follows SOG-IS Agreed Cryptographic
Mechanisms and ETSI TS 119 312: SHA-2/SHA-3 digests, RSA from 2048 bits, ECDSA on NIST
and Brainpool curves, EdDSA. For Ukrainian qualified signatures it also allows DSTU 4145
keys on fields of at least 257 bits with the GOST 34.311-95 or DSTU 7564 (Kupyna) digests:
the smaller DSTU curves (m = 163 to 233) are below the 128-bit level required above.
"""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import algos, cms, keys

from docex.signatures import dstu
from docex.signatures.digests import signer_digest_algorithm

# asn1crypto names the digests it knows and gives the others as dotted OIDs.
ALLOWED_DIGESTS = frozenset(
    {
        *("sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512"),
        *(dstu.GOST34311, dstu.KUPYNA_256, dstu.KUPYNA_384, dstu.KUPYNA_512),
    }
)
ALLOWED_CURVES = frozenset(
    {
        "secp256r1",
        "secp384r1",
        "secp521r1",
        "brainpoolp256r1",
        "brainpoolp384r1",
        "brainpoolp512r1",
    }
)
MIN_RSA_BITS = 2048
MIN_DSTU_FIELD_BITS = 257


@dataclass(frozen=True)
class AlgorithmVerdict:
    """Whether a signature's algorithms are acceptable, and why not."""

    acceptable: bool
    message: str


def check_signer_algorithms(
    signer_info: cms.SignerInfo, public_key: keys.PublicKeyInfo
) -> AlgorithmVerdict:
    """Check the digest, signature algorithm and key of one CMS signer."""
    digest = signer_digest_algorithm(signer_info)
    if digest not in ALLOWED_DIGESTS:
        return AlgorithmVerdict(False, f"digest algorithm {digest} is not allowed")
    signature_algo: algos.SignedDigestAlgorithm = signer_info["signature_algorithm"]
    try:
        # For RSASSA-PSS, hash_algo reads the parameters; for plain "rsassa_pkcs1v15" or
        # "ecdsa" there is no hash in the identifier and the digest above applies.
        sig_hash = signature_algo.hash_algo
    except ValueError:
        sig_hash = None
    if sig_hash is not None and sig_hash not in ALLOWED_DIGESTS:
        return AlgorithmVerdict(False, f"signature algorithm uses {sig_hash}, which is not allowed")
    return check_public_key(public_key)


def check_public_key(public_key: keys.PublicKeyInfo) -> AlgorithmVerdict:
    """Check a public key's type and strength."""
    try:
        oid = dstu.key_algorithm(public_key)
    except dstu.DstuFormatError as exc:
        return AlgorithmVerdict(False, str(exc))
    if dstu.is_dstu_signature_algorithm(oid):
        return _check_dstu_key(public_key)
    algo = public_key.algorithm
    if algo in ("rsa", "rsassa_pss"):
        bits = public_key.bit_size
        if bits < MIN_RSA_BITS:
            return AlgorithmVerdict(False, f"RSA key of {bits} bits is below {MIN_RSA_BITS}")
        return AlgorithmVerdict(True, f"RSA-{bits}")
    if algo == "ec":
        curve_type, curve = public_key.curve
        if curve_type != "named" or curve not in ALLOWED_CURVES:
            return AlgorithmVerdict(False, f"elliptic curve {curve} is not allowed")
        return AlgorithmVerdict(True, f"ECDSA {curve}")
    if algo in ("ed25519", "ed448"):
        return AlgorithmVerdict(True, algo)
    return AlgorithmVerdict(False, f"public key algorithm {algo} is not supported")


def _check_dstu_key(public_key: keys.PublicKeyInfo) -> AlgorithmVerdict:
    try:
        key = dstu.load_public_key(public_key)
    except dstu.DstuFormatError as exc:
        return AlgorithmVerdict(False, f"DSTU 4145 key is unusable: {exc}")
    if key.field_bits < MIN_DSTU_FIELD_BITS:
        return AlgorithmVerdict(
            False,
            f"DSTU 4145 key on a {key.field_bits}-bit field is below {MIN_DSTU_FIELD_BITS}",
        )
    return AlgorithmVerdict(True, f"DSTU 4145 m={key.field_bits}")
