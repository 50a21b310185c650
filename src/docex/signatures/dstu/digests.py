"""The Ukrainian digest algorithms by OID and by name, for code that hashes by algorithm.

``hashlib.new`` does not know them; :func:`new_digest` answers for the names and OIDs here
and nothing else, so callers try it first and fall back to ``hashlib``.
"""

from __future__ import annotations

from typing import Protocol

from docex.signatures.dstu.oids import GOST34311, KUPYNA_256, KUPYNA_384, KUPYNA_512


class Digest(Protocol):
    """The part of the ``hashlib`` object interface the verifier uses."""

    digest_size: int

    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


# OID -> canonical name; asn1crypto reports unknown digest OIDs in dotted form.
DIGEST_NAMES: dict[str, str] = {
    GOST34311: "gost34311",
    KUPYNA_256: "kupyna256",
    KUPYNA_384: "kupyna384",
    KUPYNA_512: "kupyna512",
}
_BY_NAME = {name: oid for oid, name in DIGEST_NAMES.items()}


def is_dstu_digest(algorithm: str) -> bool:
    """Whether ``algorithm`` (an OID or a name from :data:`DIGEST_NAMES`) is one of ours."""
    return algorithm in DIGEST_NAMES or algorithm in _BY_NAME


def new_digest(algorithm: str, data: bytes = b"", *, sbox: bytes | None = None) -> Digest:
    """A fresh hash object for a Ukrainian digest algorithm.

    :param sbox: for GOST 34.311, a 64-byte compressed S-box instead of DKE №1
        (Kupyna has no parameters).
    :raises ValueError: an algorithm this module does not implement.
    """
    # The hashes load with the first DSTU digest asked for: whether an algorithm is one of
    # ours is asked of every signature, Ukrainian or not (issue 12: a fast start).
    oid = _BY_NAME.get(algorithm, algorithm)
    if oid == GOST34311:
        from docex.signatures.dstu.gost34311 import Gost34311

        return Gost34311(data, sbox=sbox)
    from docex.signatures.dstu.kupyna import DIGEST_BITS, Kupyna

    if oid in DIGEST_BITS:
        return Kupyna(DIGEST_BITS[oid], data)
    raise ValueError(f"unsupported digest algorithm {algorithm}")


def hash_bytes(algorithm: str, data: bytes, *, sbox: bytes | None = None) -> bytes:
    """The digest of ``data`` under a Ukrainian digest algorithm (see :func:`new_digest`)."""
    return new_digest(algorithm, data, sbox=sbox).digest()
