"""GOST 34.311-95, the Ukrainian 256-bit hash (GOST R 34.11-94 with the DKE №1 S-box).

The compression function enciphers the four 64-bit quarters of the chaining value with
GOST 28147-89 under four keys derived from it and the message block, then mixes with the
linear shift register ψ (GOST 34.311-95 §6-§7). Blocks, lengths and the control sum are
little-endian 256-bit numbers, as in the standard's Annex A and in UAPKI and gost89.

The S-box is the "UA" DKE №1 unless another is given, in the 64-byte compressed form that
certificates carry next to DSTU 4145 keys (``DSTU4145Params.dke``) or in the expanded form
of eight rows of sixteen 4-bit values.

Where the optional C extension ``_gost34311_c`` was built (``setup.py``; it needs a C
compiler at install time, nothing else), whole blocks are compressed by it, some 300 times
faster; this module is the reference, and is used whenever the extension is absent. The
extension takes the round tables from here, so S-boxes are handled in one place.
"""

from __future__ import annotations

import functools
import struct
from types import ModuleType


def _load_accelerator() -> ModuleType | None:
    try:
        from docex.signatures.dstu import _gost34311_c
    except ImportError:
        return None
    accelerator: ModuleType = _gost34311_c
    return accelerator


ACCELERATOR: ModuleType | None = _load_accelerator()
"""The C block compression, or ``None`` when it was not built (see the module docstring)."""

DIGEST_SIZE = 32
BLOCK_SIZE = 32

# DKE №1 expanded: row i is the S-box applied to the i-th nibble counted from the top
# (row 0 substitutes bits 28-31, row 7 bits 0-3), as gost89 and UAPKI lay it out.
DEFAULT_SBOX_ROWS: tuple[bytes, ...] = tuple(
    bytes.fromhex(row)
    for row in (
        "0102030e060d0b080f0a0c0507090004",
        "03080b0506040e0a020c0107090f0d00",
        "02080907050f000b0c010d0e0a030604",
        "0f080e090702000d0c0601050b04030a",
        "03080d09060b0f0002050c0a040e0107",
        "0f0605080e0b0a040c0003070209010d",
        "08000c040906070b0203010f050e0a0d",
        "0a090d060e0b04050f01030c07000802",
    )
)


def expand_dke(dke: bytes) -> tuple[bytes, ...]:
    """The eight S-box rows of a 64-byte compressed DKE.

    The compressed form stores the row for the lowest nibble first, two entries a byte,
    high nibble first (gost89 ``packSbox``, UAPKI ``gost28147_sbox_from_dke``).

    :raises ValueError: not 64 bytes, or a row that is not a permutation of 0..15.
    """
    if len(dke) != 64:
        raise ValueError(f"a compressed S-box has 64 bytes, not {len(dke)}")
    rows = []
    for packed_row in range(8):
        chunk = dke[8 * packed_row : 8 * packed_row + 8]
        row = bytes(v for byte in chunk for v in (byte >> 4, byte & 15))
        if sorted(row) != list(range(16)):
            raise ValueError("an S-box row is not a permutation")
        rows.append(row)
    return tuple(reversed(rows))


def compress_sbox(rows: tuple[bytes, ...]) -> bytes:
    """The 64-byte compressed form of eight expanded S-box rows (inverse of ``expand_dke``)."""
    out = bytearray()
    for row in reversed(rows):
        out += bytes((row[2 * i] << 4) | row[2 * i + 1] for i in range(8))
    return bytes(out)


DEFAULT_DKE = compress_sbox(DEFAULT_SBOX_ROWS)


_Tables = tuple[list[int], list[int], list[int], list[int]]


@functools.cache
def _round_tables(rows: tuple[bytes, ...]) -> _Tables:
    """Per input byte, the substituted and 11-bit-rotated contribution to the round output.

    Rotation distributes over the OR of the four disjoint byte positions, so the round
    function becomes four lookups. (Two 16-bit tables would halve the lookups but, at
    65536 entries each, miss the cache and measure slower.)
    """
    tables = []
    for position in range(4):
        upper, lower = rows[6 - 2 * position], rows[7 - 2 * position]
        table = []
        for byte in range(256):
            v = ((upper[byte >> 4] << 4) | lower[byte & 15]) << (8 * position)
            table.append(((v << 11) | (v >> 21)) & 0xFFFFFFFF)
        tables.append(table)
    return tables[0], tables[1], tables[2], tables[3]


@functools.cache
def _packed_tables(rows: tuple[bytes, ...]) -> bytes:
    """The round tables as 4 x 256 little-endian uint32, as the C extension takes them."""
    return struct.pack("<1024I", *(v for table in _round_tables(rows) for v in table))


def _encrypt_block(tables: _Tables, key: bytes, block: int) -> int:
    """GOST 28147-89 simple replacement of a 64-bit little-endian block."""
    k = [int.from_bytes(key[4 * i : 4 * i + 4], "little") for i in range(8)]
    return _encrypt_words(tables, k, block)


def _encrypt_words(tables: _Tables, k: list[int], block: int) -> int:
    t0, t1, t2, t3 = tables
    n0 = block & 0xFFFFFFFF
    n1 = block >> 32
    # Rounds 1-24 take the key words in order three times, rounds 25-32 in reverse.
    for _ in range(3):
        for i in range(0, 8, 2):
            x = (n0 + k[i]) & 0xFFFFFFFF
            n1 ^= t0[x & 255] | t1[(x >> 8) & 255] | t2[(x >> 16) & 255] | t3[x >> 24]
            x = (n1 + k[i + 1]) & 0xFFFFFFFF
            n0 ^= t0[x & 255] | t1[(x >> 8) & 255] | t2[(x >> 16) & 255] | t3[x >> 24]
    for i in range(7, 0, -2):
        x = (n0 + k[i]) & 0xFFFFFFFF
        n1 ^= t0[x & 255] | t1[(x >> 8) & 255] | t2[(x >> 16) & 255] | t3[x >> 24]
        x = (n1 + k[i - 1]) & 0xFFFFFFFF
        n0 ^= t0[x & 255] | t1[(x >> 8) & 255] | t2[(x >> 16) & 255] | t3[x >> 24]
    return n1 | (n0 << 32)


_MASK256 = (1 << 256) - 1
# C3 of the key schedule: the bytes 1,3,5,7,8,10,12,14,17,18,20,23,24,28,29,31 are 0xff.
_C3 = int.from_bytes(
    bytes(
        0xFF if i in {1, 3, 5, 7, 8, 10, 12, 14, 17, 18, 20, 23, 24, 28, 29, 31} else 0
        for i in range(32)
    ),
    "little",
)


def _a(y: int) -> int:
    """A(y4||y3||y2||y1) = (y1 xor y2)||y4||y3||y2 on 64-bit words, little-endian."""
    return (y >> 64) | (((y ^ (y >> 64)) & 0xFFFFFFFFFFFFFFFF) << 192)


def _key_words(y: int) -> list[int]:
    """The key P(y) as eight little-endian 32-bit words.

    P puts byte ``8 i + j`` of ``y`` at byte ``i + 4 j`` of the key, so key word ``i`` is
    bytes ``i, i + 8, i + 16, i + 24`` of ``y``: the stride-8 slice starting at ``i``.
    """
    w = y.to_bytes(32, "little")
    return [int.from_bytes(w[i::8], "little") for i in range(8)]


def _p(y: int) -> bytes:
    """The key permutation P as bytes (the reference for :func:`_key_words`)."""
    w = y.to_bytes(32, "little")
    return bytes(w[8 * (k % 4) + k // 4] for k in range(32))


def _psi(y: int, times: int) -> int:
    """ψ applied ``times`` times: the new top 16-bit word is the xor of words 1,2,3,4,13,16.

    The reference for :func:`_mix_by_recurrence`.
    """
    for _ in range(times):
        t = (y ^ (y >> 16) ^ (y >> 32) ^ (y >> 48) ^ (y >> 192) ^ (y >> 240)) & 0xFFFF
        y = (y >> 16) | (t << 240)
    return y


_WORDS = struct.Struct("<16H")


def _extend(w: list[int], times: int) -> None:
    # ψ is a linear recurrence on 16-bit words: ψ^k(y) is words k..k+15 of the sequence.
    for t in range(len(w) - 16, len(w) - 16 + times):
        w.append(w[t] ^ w[t + 1] ^ w[t + 2] ^ w[t + 3] ^ w[t + 12] ^ w[t + 15])


def _mix_by_recurrence(h: int, m: int, s: int) -> int:
    """``ψ^61(h + ψ(m + ψ^12(s)))`` on 16-bit words: the reference for :func:`_mix`."""
    w = list(_WORDS.unpack(s.to_bytes(32, "little")))
    _extend(w, 12)
    w = [a ^ b for a, b in zip(w[12:], _WORDS.unpack(m.to_bytes(32, "little")), strict=True)]
    _extend(w, 1)
    w = [a ^ b for a, b in zip(w[1:], _WORDS.unpack(h.to_bytes(32, "little")), strict=True)]
    _extend(w, 61)
    return int.from_bytes(_WORDS.pack(*w[61:]), "little")


@functools.cache
def _mix_tables() -> tuple[tuple[int, ...], ...]:
    """Per input byte of ``h‖m‖s``, its contribution to the mix, for each byte value.

    The mix is linear over GF(2) (ψ only xors words), so it is the xor of what each input
    byte contributes alone. The 768 single-bit images come from the recurrence; every
    other byte value is the xor of its bits' images (96 rows of 256, about 1.5 MB).
    """
    rows: list[tuple[int, ...]] = []
    for operand in range(3):
        for position in range(32):
            bits = []
            for bit in range(8):
                args = [0, 0, 0]
                args[operand] = 1 << (8 * position + bit)
                bits.append(_mix_by_recurrence(args[0], args[1], args[2]))
            row = [0] * 256
            for value in range(1, 256):
                low = value & -value
                row[value] = row[value ^ low] ^ bits[low.bit_length() - 1]
            rows.append(tuple(row))
    return tuple(rows)


def _mix(h: int, m: int, s: int) -> int:
    """``ψ^61(h + ψ(m + ψ^12(s)))`` as 96 table lookups (about six times the recurrence's speed)."""
    out = 0
    operands = h.to_bytes(32, "little") + m.to_bytes(32, "little") + s.to_bytes(32, "little")
    for row, byte in zip(_mix_tables(), operands, strict=True):
        out ^= row[byte]
    return out


def _step(tables: _Tables, h: int, m: int) -> int:
    """The compression function: the next chaining value from ``h`` and the block ``m``."""
    u, v = h, m
    s = _encrypt_words(tables, _key_words(u ^ v), h & 0xFFFFFFFFFFFFFFFF)
    for j in range(1, 4):
        u = _a(u)
        if j == 2:
            u ^= _C3
        v = _a(_a(v))
        block = (h >> (64 * j)) & 0xFFFFFFFFFFFFFFFF
        s |= _encrypt_words(tables, _key_words(u ^ v), block) << (64 * j)
    return _mix(h, m, s)


class Gost34311:
    """An incremental GOST 34.311-95 hash, in the style of ``hashlib`` objects.

    :param sbox: a 64-byte compressed DKE; the default is DKE №1.
    """

    name = "gost34311"
    digest_size = DIGEST_SIZE
    block_size = BLOCK_SIZE

    def __init__(
        self, data: bytes = b"", *, sbox: bytes | None = None, accelerated: bool = True
    ) -> None:
        rows = DEFAULT_SBOX_ROWS if sbox is None else expand_dke(sbox)
        self._tables = _round_tables(rows)
        self._accelerator = ACCELERATOR if accelerated else None
        self._packed = _packed_tables(rows) if self._accelerator is not None else b""
        self._h = 0
        self._sum = 0
        self._length = 0
        self._pending = b""
        if data:
            self.update(data)

    def update(self, data: bytes) -> None:
        """Feed more message bytes."""
        buf = self._pending + bytes(data)
        whole = len(buf) - len(buf) % BLOCK_SIZE
        h, total, tables = self._h, self._sum, self._tables
        if self._accelerator is not None and whole:
            h_bytes, total_bytes = self._accelerator.blocks(
                self._packed, h.to_bytes(32, "little"), total.to_bytes(32, "little"), buf[:whole]
            )
            h, total = int.from_bytes(h_bytes, "little"), int.from_bytes(total_bytes, "little")
        else:
            for off in range(0, whole, BLOCK_SIZE):
                m = int.from_bytes(buf[off : off + BLOCK_SIZE], "little")
                h = _step(tables, h, m)
                total = (total + m) & _MASK256
        self._h, self._sum = h, total
        self._length += whole
        self._pending = buf[whole:]

    def copy(self) -> Gost34311:
        """An independent copy of the current state."""
        other = Gost34311.__new__(Gost34311)
        other._tables = self._tables
        other._accelerator, other._packed = self._accelerator, self._packed
        other._h, other._sum, other._length = self._h, self._sum, self._length
        other._pending = self._pending
        return other

    def digest(self) -> bytes:
        """The 32-byte hash of everything fed so far (the state is left unchanged)."""
        h, total, length = self._h, self._sum, self._length
        # The last partial block is padded with zero bytes and counted by its length; the
        # bit length and the control sum are the last two blocks.
        tail = self._pending.ljust(BLOCK_SIZE, b"\0") if self._pending else b""
        length += len(self._pending)
        if self._accelerator is not None:
            h_bytes, total_bytes = self._accelerator.blocks(
                self._packed, h.to_bytes(32, "little"), total.to_bytes(32, "little"), tail
            )
            final = ((length * 8) & _MASK256).to_bytes(32, "little") + total_bytes
            # The sum the extension keeps over these two blocks is not used.
            h_bytes, _ = self._accelerator.blocks(self._packed, h_bytes, bytes(32), final)
            return bytes(h_bytes)
        if tail:
            m = int.from_bytes(tail, "little")
            h = _step(self._tables, h, m)
            total = (total + m) & _MASK256
        h = _step(self._tables, h, (length * 8) & _MASK256)
        h = _step(self._tables, h, total)
        return h.to_bytes(32, "little")

    def hexdigest(self) -> str:
        """The hash as lowercase hex."""
        return self.digest().hex()


def gost34311(data: bytes, *, sbox: bytes | None = None, accelerated: bool = True) -> bytes:
    """The GOST 34.311-95 hash of ``data`` (``accelerated=False``: pure Python only)."""
    return Gost34311(data, sbox=sbox, accelerated=accelerated).digest()
