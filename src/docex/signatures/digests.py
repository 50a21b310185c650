"""The digest algorithm a CMS signer used, read as tolerant validators (DSS) read it.

Some signing tools put a *signature* algorithm identifier (``sha256WithRSAEncryption``,
``ecdsa-with-SHA256``) in ``SignerInfo.digestAlgorithm``. The field is not covered by the
signature, and the identifier names its digest unambiguously, so it is read as that digest
rather than refused as an unknown algorithm.
"""

from __future__ import annotations

from asn1crypto import algos, cms


def digest_algorithm_name(algorithm: algos.DigestAlgorithm) -> str:
    """The digest name (``sha256``...) of a ``DigestAlgorithmIdentifier``.

    An identifier asn1crypto does not know as a digest is tried as a signature algorithm
    that names its hash; anything else is returned as asn1crypto names it (a dotted OID for
    an unknown one), for the algorithm policy to refuse.
    """
    name = str(algorithm["algorithm"].native)
    if name in _KNOWN_DIGESTS:
        return name
    try:
        as_signature = algos.SignedDigestAlgorithm({"algorithm": algorithm["algorithm"].dotted})
        hash_name = as_signature.hash_algo
    except (ValueError, TypeError, KeyError):
        # RSASSA-PSS and bare key-type identifiers carry no hash of their own.
        return name
    return str(hash_name)


def signer_digest_algorithm(signer_info: cms.SignerInfo) -> str:
    """The digest name of one CMS signer (see :func:`digest_algorithm_name`)."""
    return digest_algorithm_name(signer_info["digest_algorithm"])


_KNOWN_DIGESTS = frozenset(algos.DigestAlgorithmId._map.values())
