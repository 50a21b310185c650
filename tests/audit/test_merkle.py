"""The checkpoint's Merkle tree against RFC 6962 and the Certificate Transparency vectors.

The reference here is written from RFC 6962 section 2.1 (the recursive split at the
largest power of two below n), independently of the iterative pairing the module uses.
The vectors are the tree heads of the certificate-transparency test suite (its leaves
``""``, ``00``, ``10``, ... and their roots for 1 to 8 leaves), as repeated by many
implementations (e.g. google/trillian, transparency-dev/merkle).
"""

from __future__ import annotations

import hashlib

import pytest

from docex.audit.merkle import chain_leaf, leaf_hash, merkle_root, node_hash

CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def rfc6962_mth(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) exactly as RFC 6962 section 2.1 defines it."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + rfc6962_mth(leaves[:k]) + rfc6962_mth(leaves[k:])).digest()


@pytest.mark.parametrize("size", range(len(CT_ROOTS)))
def test_roots_match_the_certificate_transparency_vectors(size: int) -> None:
    assert merkle_root(CT_LEAVES[:size]).hex() == CT_ROOTS[size]
    assert rfc6962_mth(CT_LEAVES[:size]).hex() == CT_ROOTS[size]


def test_roots_match_the_rfc_recursion_for_every_size_up_to_70() -> None:
    leaves = [hashlib.sha256(str(i).encode()).digest()[: i % 33] for i in range(70)]
    for size in range(71):
        assert merkle_root(leaves[:size]) == rfc6962_mth(leaves[:size]), size


def test_leaves_and_nodes_are_hashed_apart() -> None:
    # Without the 0x00/0x01 prefixes, a leaf holding two hashes would hash like the node
    # over them: a second tree could claim the same root.
    left, right = leaf_hash(b"a"), leaf_hash(b"b")
    assert merkle_root([left + right]) != node_hash(left, right)
    assert merkle_root([b"a", b"b"]) == node_hash(left, right)


def test_chain_leaf_layout() -> None:
    head = "ab" * 32
    leaf = chain_leaf(3, 258, head)
    assert leaf == b"\x00\x00\x00\x03" + b"\x00" * 6 + b"\x01\x02" + bytes.fromhex(head)
    with pytest.raises(ValueError, match="SHA-256"):
        chain_leaf(0, 1, "ab")
