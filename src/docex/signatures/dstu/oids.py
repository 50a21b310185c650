"""Object identifiers of the Ukrainian algorithms (Order 1236/5/453 of 20.08.2012).

All under 1.2.804.2.1.1.1 (Ukraine / government / crypto): 1.1.1 GOST 28147, 1.1.2 hashes,
1.1.3 signatures. OpenSSL's object table names the same numbers ("dstu34311",
"dstu4145le", "dstu4145be", "uacurve0".."uacurve9").
"""

from __future__ import annotations

# GOST 34.311-95 hash.
GOST34311 = "1.2.804.2.1.1.1.1.2.1"
# DSTU 7564:2014 (Kupyna): .1 = 256, .2 = 384, .3 = 512 bits.
KUPYNA_256 = "1.2.804.2.1.1.1.1.2.2.1"
KUPYNA_384 = "1.2.804.2.1.1.1.1.2.2.2"
KUPYNA_512 = "1.2.804.2.1.1.1.1.2.2.3"

# DSTU 4145-2002 key and signature, little-endian octet strings (the form used in practice).
DSTU4145_LE = "1.2.804.2.1.1.1.1.3.1.1"
# DSTU 4145-2002, big-endian octet strings: recognised, not supported (no sample exists).
DSTU4145_BE = "1.2.804.2.1.1.1.1.3.1.1.1.1"
# DSTU 4145 with a Kupyna-256 digest, little-endian (BouncyCastle's
# dstu4145le_7564digest_256); the key's algorithm stays DSTU4145_LE.
DSTU4145_KUPYNA256_LE = "1.2.804.2.1.1.1.1.3.6.1.1"
# The ten named curves: 1.2.804.2.1.1.1.1.3.1.1.2.0 .. .9 (see named_curves.py).
NAMED_CURVE_ARC = "1.2.804.2.1.1.1.1.3.1.1.2"

DSTU4145_KEY_ALGORITHMS = frozenset({DSTU4145_LE, DSTU4145_BE})
# The signature algorithms this package verifies, with the digest each implies where no
# digest algorithm is given separately (certificates, CRLs, OCSP responses).
SIGNATURE_DIGESTS = {DSTU4145_LE: GOST34311, DSTU4145_KUPYNA256_LE: KUPYNA_256}
