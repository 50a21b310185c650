"""Arithmetic in GF(2^m), polynomial basis, with Python ints as bit vectors.

Bit ``i`` of an int is the coefficient of ``x^i``. The field is defined by a trinomial
``x^m + x^k + 1`` or a pentanomial ``x^m + x^k3 + x^k2 + x^k1 + 1``, as DSTU 4145-2002
prescribes (its curves have odd ``m``, which the half-trace below relies on).

Speed comes from doing as much as possible in CPython's C loops: a square is the binary
digits of the operand read in base 4 (which puts bit ``i`` at ``2i``), and a product walks
the multiplier byte by byte against a 16-entry table of the multiplicand's nibble multiples.
"""

from __future__ import annotations

from collections.abc import Sequence


class BinaryField:
    """GF(2^m) defined by ``x^m + sum(x^k for k in middle) + 1``.

    :param m: the degree.
    :param middle: the exponents strictly between ``m`` and 0 (one for a trinomial,
        three for a pentanomial).
    """

    __slots__ = ("_taps", "_trace_mask", "m", "mask", "middle", "poly")

    def __init__(self, m: int, middle: Sequence[int]) -> None:
        if (
            m < 2
            or not middle
            or any(not 0 < k < m for k in middle)
            or len(set(middle)) != len(middle)
        ):
            raise ValueError(f"not a trinomial or pentanomial of degree {m}: {list(middle)}")
        self.m = m
        self.middle = tuple(sorted(middle, reverse=True))
        self.poly = (1 << m) | 1
        for k in self.middle:
            self.poly |= 1 << k
        self.mask = (1 << m) - 1
        # Reduction folds the part above x^m back in at these offsets (x^m = sum x^k + 1).
        self._taps = (0, *self.middle)
        self._trace_mask = _trace_mask(m, self.middle)

    def __repr__(self) -> str:
        return f"BinaryField({self.m}, {self.middle})"

    def reduce(self, c: int) -> int:
        """``c`` modulo the field polynomial, for a ``c`` of any degree."""
        m, mask, taps = self.m, self.mask, self._taps
        while True:
            hi = c >> m
            if not hi:
                return c
            c &= mask
            for k in taps:
                c ^= hi << k

    def mul(self, a: int, b: int) -> int:
        """The product of two field elements."""
        return self.reduce(clmul(a, b))

    def sqr(self, a: int) -> int:
        """The square of a field element."""
        return self.reduce(int(bin(a)[2:], 4))

    def inv(self, a: int) -> int:
        """The inverse of a non-zero field element (extended Euclid on polynomials).

        :raises ZeroDivisionError: for zero.
        """
        if a == 0:
            raise ZeroDivisionError("zero has no inverse in GF(2^m)")
        u, v = self.reduce(a), self.poly
        g1, g2 = 1, 0
        while u != 1:
            j = u.bit_length() - v.bit_length()
            if j < 0:
                u, v, g1, g2 = v, u, g2, g1
                j = -j
            u ^= v << j
            g1 ^= g2 << j
        return self.reduce(g1)

    def trace(self, a: int) -> int:
        """The absolute trace ``a + a^2 + ... + a^(2^(m-1))``, 0 or 1.

        The trace is linear, so it is the parity of the bits of ``a`` whose basis element
        ``x^i`` has trace 1 (the mask made once per field).
        """
        return (a & self._trace_mask).bit_count() & 1

    def trace_by_squaring(self, a: int) -> int:
        """The trace by its definition (m - 1 squarings); the reference for :meth:`trace`."""
        t, s = a, a
        for _ in range(self.m - 1):
            s = self.sqr(s)
            t ^= s
        return t & 1

    def mul_table(self, c: int) -> list[int]:
        """The products of ``c`` with every byte, for :meth:`mul_by_table`.

        Worth it for a multiplicand used many times (a curve coefficient, a precomputed
        point): a product then costs one lookup per byte of the other operand.
        """
        table = [0] * 256
        table[1] = c
        for i in range(2, 256, 2):
            table[i] = table[i >> 1] << 1
            table[i + 1] = table[i] ^ c
        return table

    def mul_by_table(self, table: list[int], b: int) -> int:
        """The product of ``b`` with the element ``table`` was made for."""
        r = 0
        for byte in b.to_bytes((b.bit_length() + 7) >> 3, "big"):
            r = (r << 8) ^ table[byte]
        return self.reduce(r)

    def half_trace(self, a: int) -> int:
        """``sum(a^(4^i) for i in 0..(m-1)/2)``; solves ``z^2 + z = a`` when ``tr(a) = 0``."""
        if self.m % 2 == 0:
            raise ValueError("the half-trace is defined for odd m only")
        h, s = a, a
        for _ in range((self.m - 1) // 2):
            s = self.sqr(self.sqr(s))
            h ^= s
        return h

    def solve_quadratic(self, w: int) -> int | None:
        """A root ``z`` of ``z^2 + z = w``, or None when there is none (``tr(w) = 1``).

        The other root is ``z + 1``.
        """
        z = self.half_trace(w)
        if self.sqr(z) ^ z != w:
            return None
        return z


def _trace_mask(m: int, middle: tuple[int, ...]) -> int:
    """Bit ``i`` set when ``tr(x^i) = 1``: the power sums of the roots of the field polynomial.

    Newton's identities over GF(2): ``s_0 = m mod 2`` and, for ``0 < i < m``,
    ``s_i = sum(e_j s_(i-j) for 0 < j < i) + i e_i``, where ``e_j`` is the coefficient of
    ``x^(m-j)`` (only the polynomial's few middle terms are non-zero).
    """
    nonzero = sorted(m - k for k in middle)
    s = [m & 1]
    for i in range(1, m):
        v = (i & 1) if i in nonzero else 0
        for j in nonzero:
            if j >= i:
                break
            v ^= s[i - j]
        s.append(v)
    return sum(1 << i for i, bit in enumerate(s) if bit)


def clmul(a: int, b: int) -> int:
    """The carry-less (GF(2)[x]) product of two non-negative ints."""
    if a.bit_length() < b.bit_length():
        a, b = b, a
    if not b:
        return 0
    a2 = a << 1
    a4 = a << 2
    a8 = a << 3
    a3 = a2 ^ a
    a5 = a4 ^ a
    a6 = a4 ^ a2
    a7 = a6 ^ a
    low = (
        *(0, a, a2, a3, a4, a5, a6, a7),
        *(a8, a8 ^ a, a8 ^ a2, a8 ^ a3, a8 ^ a4, a8 ^ a5, a8 ^ a6, a8 ^ a7),
    )
    high = [t << 4 for t in low]
    r = 0
    for byte in b.to_bytes((b.bit_length() + 7) >> 3, "big"):
        r = (r << 8) ^ high[byte >> 4] ^ low[byte & 15]
    return r
