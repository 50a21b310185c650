"""A detached content given by its digests: verifying a large file without holding it.

A detached CAdES signature is over its content only through the ``message-digest``
attribute, so the verifier needs the content's digest under the signer's algorithm, never
the bytes themselves. :class:`ContentDigests` carries the size and the digests of a content
hashed in one streaming pass (:meth:`ContentDigests.of_stream`), under the algorithms the
signature names (:func:`content_digest_algorithms`) and SHA-256, the store's key. It is a
small picklable value, so it crosses into the verifier's worker processes where the bytes
of a 200 MB scan would not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Protocol

from docex.errors import DocexError
from docex.signatures import dstu
from docex.signatures.digests import signer_digest_algorithm
from docex.signatures.envelopes import attached_content, unwrap
from docex.signatures.inputs import CmsInput, decode_signature
from docex.signatures.limits import LimitExceededError, Limits

CHUNK_BYTES = 1024 * 1024
"""How much of the content one read takes: the memory a streaming pass holds."""


class _Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def digest(self) -> bytes: ...


def _hasher(algorithm: str) -> _Hasher:
    # The Ukrainian digests first, then hashlib, as integrity.digest_by_name orders them.
    if dstu.is_dstu_digest(algorithm):
        return dstu.new_digest(algorithm)
    name = algorithm.replace("_", "-") if algorithm.startswith("sha3") else algorithm
    return hashlib.new(name)


@dataclass(frozen=True)
class ContentDigests:
    """A detached content's size and its digests by algorithm (asn1crypto's names)."""

    size: int
    digests: Mapping[str, bytes]

    @classmethod
    def of_stream(cls, stream: IO[bytes], algorithms: Iterable[str]) -> ContentDigests:
        """Hash ``stream`` from where it is to its end, once, under every algorithm.

        SHA-256 is always among them (the object store's key and a manifest's reference).

        :raises ValueError: an algorithm neither hashlib nor the DSTU module knows.
        """
        hashers = {name: _hasher(name) for name in {"sha256", *algorithms}}
        size = 0
        while chunk := stream.read(CHUNK_BYTES):
            size += len(chunk)
            for hasher in hashers.values():
                hasher.update(chunk)
        return cls(size=size, digests={name: h.digest() for name, h in hashers.items()})

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the content."""
        return self.digests["sha256"].hex()

    def digest(self, algorithm: str) -> bytes:
        """The content's digest under ``algorithm``.

        :raises ValueError: the content was not hashed under it (the signature names an
            algorithm :func:`content_digest_algorithms` did not find).
        """
        try:
            return self.digests[algorithm]
        except KeyError:
            raise ValueError(f"the detached content was not hashed with {algorithm}") from None

    def matches(self, data: bytes) -> bool:
        """Whether ``data`` (an attached content) is this content."""
        return len(data) == self.size and hashlib.sha256(data).digest() == self.digests["sha256"]


def content_digest_algorithms(
    signature: bytes, *, max_input_bytes: int, max_envelope_depth: int = Limits().max_envelope_depth
) -> frozenset[str]:
    """The digest algorithms the signers of ``signature``'s innermost layer hash content with.

    Empty for a PDF, an attached content or anything the verifier will refuse anyway:
    the verifier then needs no digest of the content, or reports why not.
    """
    try:
        decoded = decode_signature(signature, limit=max_input_bytes)
        if not isinstance(decoded, CmsInput):
            return frozenset()
        innermost = unwrap(decoded, max_depth=max_envelope_depth)[0].signed_data
        if attached_content(innermost) is not None:
            return frozenset()
        algorithms: set[str] = set()
        for info in innermost["signer_infos"]:
            algorithms.add(signer_digest_algorithm(info))
            # A content time-stamp's imprint is over the content too, under the TSA's choice.
            for attr in info["signed_attrs"] or ():
                if attr["type"].native == "content_time_stamp":
                    for token in attr["values"]:
                        tst_info = token["content"]["encap_content_info"]["content"].parsed
                        imprint = tst_info["message_imprint"]["hash_algorithm"]
                        algorithms.add(str(imprint["algorithm"].native))
        return frozenset(algorithms)
    except (DocexError, LimitExceededError, ValueError, TypeError, KeyError, AttributeError):
        # Structure the verifier reports on itself; without the digests it says why.
        return frozenset()


__all__ = ["CHUNK_BYTES", "ContentDigests", "content_digest_algorithms"]
