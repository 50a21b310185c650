"""The Merkle tree hash of RFC 6962 (section 2.1), over the heads of the audit chains.

A checkpoint lists every chain's ``(count, head_hash)`` and signs, with them, the root of
a Merkle tree whose leaves are those positions in chain order, so that one chain's
position can later be proven against the root with a short audit path, without the
others. The hashing is RFC 6962's, with its domain separation: a leaf is hashed as
``SHA-256(0x00 || leaf)`` and an inner node as ``SHA-256(0x01 || left || right)``, so that
no leaf can pass for a node. The tree over ``n`` leaves splits at ``k``, the largest power
of two below ``n``; the empty tree's hash is ``SHA-256()`` of nothing.

A chain's leaf is 44 bytes: the chain number as a 4-byte and the count as an 8-byte
big-endian unsigned integer, then the 32 bytes of the head hash (:func:`chain_leaf`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


def leaf_hash(leaf: bytes) -> bytes:
    """``SHA-256(0x00 || leaf)``."""
    return hashlib.sha256(LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962's ``MTH`` over ``leaves`` (the leaf data, not yet hashed)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = [leaf_hash(leaf) for leaf in leaves]
    # Pairing left to right and carrying an odd node up unchanged builds the same tree
    # as RFC 6962's recursive split at the largest power of two below n.
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def chain_leaf(chain: int, count: int, head_hash: str) -> bytes:
    """The leaf for ``chain`` with ``count`` entries whose last hash is ``head_hash``."""
    head = bytes.fromhex(head_hash)
    if len(head) != 32:
        raise ValueError("a chain head is a SHA-256 hash")
    return chain.to_bytes(4, "big") + count.to_bytes(8, "big") + head
