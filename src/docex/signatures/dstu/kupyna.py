"""DSTU 7564:2014 (Kupyna): the Ukrainian hash of 256 to 512 bits.

A wide-pipe design with two fixed permutations: ``T⊕`` (XOR round constants) and ``T+``
(round constants added modulo 2^64 per column). The state is 8 rows by 8 columns (512 bits,
10 rounds) for digests up to 256 bits and 8 by 16 (1024 bits, 14 rounds) above; a round is
the round constant, the S-boxes π0..π3 (row ``i`` uses ``π(i mod 4)``, the same S-boxes as
DSTU 7624 "Kalyna"), a right rotation of row ``i`` by ``i`` columns (row 7 by 11 in the wide
state) and a circulant MDS matrix over GF(2^8) modulo ``x^8 + x^4 + x^3 + x^2 + 1``.

Here a column is a 64-bit little-endian word (row 0 in the low byte), and S-box with
MixColumns is one lookup per byte into eight 256-entry tables of column words.
"""

from __future__ import annotations

import functools
import struct

from docex.signatures.dstu.oids import KUPYNA_256, KUPYNA_384, KUPYNA_512

SBOXES: tuple[bytes, ...] = (
    bytes.fromhex(
        "a8435f066b756c5971df879517f0d8096df31dcbc94d2caf79e097fd6f4b4539"
        "3edda34fb4b69a0e1fbf15e149d293c692729e61d163faeef419d5ad58a4bba1"
        "dcf2833742e47a329cccab4a8f6e04272ee7e25a9616232bc265660fbca94741"
        "3448fcb76a88a55386f95bdb387bc31e2233242836c7b23b8e77baf5149f0855"
        "9b4cfe605cda1846cd7d21b03f1b89ffeb84693a9dd7d3706740b5de5d3091b1"
        "781101e5006898a0c502a6742d0ba276b3becebdaee98a311cecf19994aaf626"
        "2fefe88c3503d47ffb05c15e90203d82f7ea0a0d7ef8501ac40757b83c62e3c8"
        "ac526410d0d9130c122951b9cfd6738d8154c0ed4e44a72a8525e6ca7c8b5680"
    ),
    bytes.fromhex(
        "cebbeb92eacb13c1e93ad6b2d29017f8421556b4651c8843c55c36baf557678d"
        "31f664589ef422aa750f02b1df6d734d7c262ef7085d443e9f14c8ae5410d8bc"
        "1a6b69f3bd33abfad19b684e169591ee4c638e5bcc3c19a181497bd96f3760ca"
        "e72b48fd9645fc41120d79e5898ce32030dcb76c4ab53f97d4622d06a4a5835f"
        "2adac9007ea255bf11d59ccf0e0a3d517d931bfec44709860b8f9d6a07b9b098"
        "1832714bef3b70a0e440ffc3a9e678f98b46801e38e1b8a8e00c23761d252405"
        "f16e94289a84e8a34f77d385e252f282507a2f7453b361af3935decd1f99acad"
        "722cddd087be5ea6ec04c60334fbdb59b6c201f05aeda766217f8a27c7c029d7"
    ),
    bytes.fromhex(
        "93d99ab5982245fcba6adf029fdc51594a172bc294f4bba362e471d4cd7016e1"
        "493cc0d85c9bad8553a17ac82de0d172a62cc4e37678b7b4093b0e414cdeb290"
        "25a5d7031100c32e92ef4e129d7dcb3510d54f9e4da955c6d07b1897d336e648"
        "56818f77cc9cb9e2acb82f15a47cda381e0b05d6146e6c7e66fdb1e560af5e33"
        "87c9f05d6d3f888dc7f71de9eced802927cf99a8500f3724283095d23e5b4083"
        "b369571f071c8abc20ebce8eabee31a273f9ca3a1afb0dc1fefaf26fbd96dd43"
        "52b608f3aebe19893226b0ea4b6484826bf579bf015f75631b233d682a65e891"
        "f6ff1358f1470a7fc5a7e7615a0646444204a0db398654aa8c34218bf80c7467"
    ),
    bytes.fromhex(
        "688dca4d734b4e2ad45226b3541e191f2203463d2d4a5383138ab7d52579f5bd"
        "582f0d02ed519e11f23e555ed1163c66705df34540cce8945608ce1a3ad2e1df"
        "b5386e0ee5f4f986e94fd68523cf32993114aeeec848d330a19241b118c42c71"
        "724415fd37be5faa9b88d8ab899cfa60eabc620c24a6a8ec6720db7c28ddac5b"
        "347e10f17b8f63a0059a437721bf2709c39fb6d729c2ebc0a48b8c1dfbffc1b2"
        "972ef865f67507044933e4d9b9d042c76c90008e6f5001c5da473fcd69a2e27a"
        "a7c6930f0a06e62b96a31caf6a128439e7b082f7fe9d875c8135deb4a5fc80ef"
        "cbbb6b76ba5a7d780b95e3ad74983b36646ddcf059a94c177f91b8c9571be061"
    ),
)

# The first row of the circulant MDS matrix; row r is this vector rotated right by r.
_MDS = (0x01, 0x01, 0x05, 0x01, 0x08, 0x06, 0x07, 0x04)
_M64 = (1 << 64) - 1


def _gf_mul(a: int, b: int) -> int:
    """Product in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1 (0x11d)."""
    r = 0
    while b:
        if b & 1:
            r ^= a
        a <<= 1
        if a & 0x100:
            a ^= 0x11D
        b >>= 1
    return r


@functools.cache
def _tables() -> tuple[tuple[int, ...], ...]:
    """For input row ``i``: byte -> the output column word of S-box then MixColumns."""
    tables = []
    for i in range(8):
        sbox = SBOXES[i % 4]
        table = []
        for x in range(256):
            s = sbox[x]
            word = 0
            for r in range(8):
                word |= _gf_mul(s, _MDS[(i - r) % 8]) << (8 * r)
            table.append(word)
        tables.append(tuple(table))
    return tuple(tables)


@functools.cache
def _sources(columns: int) -> tuple[tuple[int, ...], ...]:
    """For each output column, the byte offset of each row after the row rotations."""
    shifts = (0, 1, 2, 3, 4, 5, 6, 11 if columns == 16 else 7)
    return tuple(
        tuple(8 * ((j - shifts[i]) % columns) + i for i in range(8)) for j in range(columns)
    )


def _round(state: bytes, columns: int) -> list[int]:
    t0, t1, t2, t3, t4, t5, t6, t7 = _tables()
    return [
        t0[state[a]]
        ^ t1[state[b]]
        ^ t2[state[c]]
        ^ t3[state[d]]
        ^ t4[state[e]]
        ^ t5[state[f]]
        ^ t6[state[g]]
        ^ t7[state[h]]
        for a, b, c, d, e, f, g, h in _sources(columns)
    ]


def _t_xor(words: list[int], rounds: int) -> list[int]:
    columns = len(words)
    pack = struct.Struct(f"<{columns}Q").pack
    for v in range(rounds):
        words = [w ^ ((j << 4) ^ v) for j, w in enumerate(words)]
        words = _round(pack(*words), columns)
    return words


def _t_plus(words: list[int], rounds: int) -> list[int]:
    columns = len(words)
    pack = struct.Struct(f"<{columns}Q").pack
    for v in range(rounds):
        words = [
            (w + (0x00F0F0F0F0F0F0F3 ^ ((((columns - 1 - j) << 4) ^ v) << 56))) & _M64
            for j, w in enumerate(words)
        ]
        words = _round(pack(*words), columns)
    return words


class Kupyna:
    """An incremental Kupyna hash of ``digest_bits`` (256, 384 or 512) bits."""

    def __init__(self, digest_bits: int, data: bytes = b"") -> None:
        if digest_bits not in (256, 384, 512):
            raise ValueError(f"Kupyna-{digest_bits} is not one of Kupyna-256/384/512")
        self.digest_size = digest_bits // 8
        self.name = f"kupyna{digest_bits}"
        self._columns = 8 if digest_bits <= 256 else 16
        self.block_size = 8 * self._columns
        self._rounds = 10 if self._columns == 8 else 14
        self._unpack = struct.Struct(f"<{self._columns}Q").unpack
        # The IV: the state's first byte is its size in bytes, the rest zero.
        self._h = [self.block_size] + [0] * (self._columns - 1)
        self._length = 0
        self._pending = b""
        if data:
            self.update(data)

    def update(self, data: bytes) -> None:
        """Feed more message bytes."""
        buf = self._pending + bytes(data)
        size = self.block_size
        whole = len(buf) - len(buf) % size
        h = self._h
        for off in range(0, whole, size):
            h = self._compress(h, list(self._unpack(buf[off : off + size])))
        self._h = h
        self._length += whole
        self._pending = buf[whole:]

    def _compress(self, h: list[int], m: list[int]) -> list[int]:
        # H' = T⊕(H ⊕ M) ⊕ T+(M) ⊕ H.
        x = _t_xor([a ^ b for a, b in zip(h, m, strict=True)], self._rounds)
        p = _t_plus(m, self._rounds)
        return [a ^ b ^ c for a, b, c in zip(x, p, h, strict=True)]

    def digest(self) -> bytes:
        """The hash of everything fed so far (the state is left unchanged)."""
        size = self.block_size
        bits = (self._length + len(self._pending)) * 8
        # Padding: a 1 bit, zeros, and the message length in bits as 96 bits little-endian.
        tail = self._pending + b"\x80"
        tail += bytes((-len(tail) - 12) % size) + bits.to_bytes(12, "little")
        h = self._h
        for off in range(0, len(tail), size):
            h = self._compress(h, list(self._unpack(tail[off : off + size])))
        final = [a ^ b for a, b in zip(_t_xor(h, self._rounds), h, strict=True)]
        out = struct.pack(f"<{self._columns}Q", *final)
        return out[-self.digest_size :]

    def hexdigest(self) -> str:
        """The hash as lowercase hex."""
        return self.digest().hex()


DIGEST_BITS = {KUPYNA_256: 256, KUPYNA_384: 384, KUPYNA_512: 512}


def kupyna(data: bytes, digest_bits: int = 256) -> bytes:
    """The Kupyna hash of ``data``."""
    return Kupyna(digest_bits, data).digest()
