"""The exceptions of the DSTU 4145 verifier.

::

    DstuError
    ├── DstuFormatError        an encoding, curve or key is malformed or unsupported
    └── DstuInvalidSignatureError   well-formed, but the signature does not verify

A caller maps the first to FORMAT_FAILURE and the second to SIG_CRYPTO_FAILURE.
``DstuInvalidSignatureError`` is also a ``cryptography`` ``InvalidSignature``, so code that
already handles that exception for other algorithms handles DSTU signatures unchanged.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature


class DstuError(Exception):
    """Root of the DSTU verifier's exceptions."""


class DstuFormatError(DstuError):
    """The key, the curve, the algorithm or the signature encoding is malformed or unknown."""


class DstuInvalidSignatureError(DstuError, InvalidSignature):
    """The signature is well-formed but does not verify with the key over the message."""
