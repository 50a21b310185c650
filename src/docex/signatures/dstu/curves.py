"""Binary elliptic curves ``y^2 + xy = x^3 + A x^2 + B`` over GF(2^m), as DSTU 4145-2002 uses.

Points are affine tuples ``(x, y)`` (``None`` is the point at infinity) at the edges and
López-Dahab projective triples ``(X, Y, Z)``, ``x = X/Z``, ``y = Y/Z^2``, inside the scalar
multiplications, which then need one inversion at the end instead of one per step.
Verification needs ``sP + rQ``: both scalars are recoded in width-w NAF and walked together
(one doubling chain for both); the base point's table of odd multiples is kept per curve.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from docex.signatures.dstu.errors import DstuFormatError
from docex.signatures.dstu.gf2m import BinaryField

Affine = tuple[int, int] | None
_Projective = tuple[int, int, int]
# A precomputed point: x, y and the byte-product tables of x, y and x + y.
_TablePoint = tuple[int, int, list[int], list[int], list[int]]

# Window widths: the base point's table is made once per curve, so it can be larger.
_BASE_WINDOW = 6
_KEY_WINDOW = 4


@dataclass(frozen=True)
class CurveParams:
    """The domain parameters: field, ``A`` (0 or 1), ``B``, the order ``n`` of the base point."""

    m: int
    middle: tuple[int, ...]
    a: int
    b: int
    n: int
    gx: int
    gy: int
    name: str = field(default="", compare=False)


class Curve:
    """A DSTU 4145 curve with its base point; build it with :func:`curve_for`."""

    def __init__(self, params: CurveParams) -> None:
        self.params = params
        self.field = BinaryField(params.m, params.middle)
        self.a = params.a
        self.b = params.b
        self.n = params.n
        self.g: tuple[int, int] = (params.gx, params.gy)
        self._g_table: list[_TablePoint] | None = None
        self._b_table = self.field.mul_table(params.b)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Curve({self.params.name or self.params.m})"

    # --- affine arithmetic (reference, decompression, tests) ---

    def on_curve(self, p: Affine) -> bool:
        """Whether ``p`` satisfies the curve equation (infinity does)."""
        if p is None:
            return True
        x, y = p
        f = self.field
        if x >> f.m or y >> f.m:
            return False
        x2 = f.sqr(x)
        lhs = f.sqr(y) ^ f.mul(x, y)
        rhs = f.mul(x2, x) ^ (x2 if self.a else 0) ^ self.b
        return lhs == rhs

    def negate(self, p: Affine) -> Affine:
        """``-p``: ``(x, x + y)``."""
        if p is None:
            return None
        return (p[0], p[0] ^ p[1])

    def add(self, p: Affine, q: Affine) -> Affine:
        """``p + q`` in affine coordinates (one inversion)."""
        if p is None:
            return q
        if q is None:
            return p
        f = self.field
        x1, y1 = p
        x2, y2 = q
        if x1 == x2:
            if y1 ^ y2 == x1 or x1 == 0:
                return None
            return self.double(p)
        lam = f.mul(y1 ^ y2, f.inv(x1 ^ x2))
        x3 = f.sqr(lam) ^ lam ^ x1 ^ x2 ^ self.a
        y3 = f.mul(lam, x1 ^ x3) ^ x3 ^ y1
        return (x3, y3)

    def double(self, p: Affine) -> Affine:
        """``2p`` in affine coordinates."""
        if p is None or p[0] == 0:
            return None
        f = self.field
        x1, y1 = p
        lam = x1 ^ f.mul(y1, f.inv(x1))
        x3 = f.sqr(lam) ^ lam ^ self.a
        y3 = f.sqr(x1) ^ f.mul(lam ^ 1, x3)
        return (x3, y3)

    # --- compression (DSTU 4145-2002 §6.9, §6.10) ---

    def decompress(self, compressed: int) -> tuple[int, int]:
        """The point whose DSTU compressed form is ``compressed``.

        The form is ``x`` with its lowest bit replaced by ``tr(y/x)``. That bit of ``x`` is
        recovered from ``tr(x) = tr(A)``, which holds for every point of the prime-order
        subgroup on these curves (their cofactor is even: such points are halvable).

        :raises DstuFormatError: no point of the subgroup has that form.
        """
        f = self.field
        if compressed >> f.m:
            raise DstuFormatError("compressed point is longer than the field")
        if compressed == 0:
            # x = 0: the point (0, sqrt(B)) of order 2 is never a public key or base point.
            raise DstuFormatError("compressed point encodes x = 0")
        k = compressed & 1
        x = compressed & ~1
        if f.trace(x) != self.a & 1:
            x ^= 1
        # y = z x with z^2 + z = x + A + B / x^2.
        w = x ^ self.a ^ f.mul(self.b, f.sqr(f.inv(x)))
        z = f.solve_quadratic(w)
        if z is None:
            raise DstuFormatError("compressed point is not on the curve")
        if f.trace(z) != k:
            z ^= 1
        point = (x, f.mul(z, x))
        if not self.on_curve(point):  # pragma: no cover - the construction guarantees it
            raise DstuFormatError("decompressed point is not on the curve")
        return point

    def compress(self, p: tuple[int, int]) -> int:
        """The DSTU compressed form of a point with ``x != 0``."""
        f = self.field
        x, y = p
        t = f.trace(f.mul(y, f.inv(x)))
        return (x & ~1) | t

    # --- projective (López-Dahab) arithmetic ---

    def _ld_double(self, p: _Projective) -> _Projective:
        x1, y1, z1 = p
        if z1 == 0:
            return p
        f = self.field
        x1s = f.sqr(x1)
        z1s = f.sqr(z1)
        z3 = f.mul(x1s, z1s)
        bz4 = f.mul_by_table(self._b_table, f.sqr(z1s))
        x3 = f.sqr(x1s) ^ bz4
        t = f.sqr(y1) ^ bz4
        if self.a:
            t ^= z3
        y3 = f.mul(bz4, z3) ^ f.mul(x3, t)
        return (x3, y3, z3)

    def _ld_add_affine(self, p: _Projective, q: tuple[int, int]) -> _Projective:
        """``p + q`` for a projective ``p`` and an affine ``q``."""
        x1, y1, z1 = p
        x2, y2 = q
        if z1 == 0:
            return (x2, y2, 1)
        f = self.field
        z1s = f.sqr(z1)
        a_ = y1 ^ f.mul(y2, z1s)
        b_ = x1 ^ f.mul(x2, z1)
        if b_ == 0:
            if a_ == 0:
                return self._ld_double((x2, y2, 1))
            return (1, 0, 0)
        c = f.mul(z1, b_)
        d = c ^ z1s if self.a else c
        d = f.mul(f.sqr(b_), d)
        z3 = f.sqr(c)
        e = f.mul(a_, c)
        x3 = f.sqr(a_) ^ d ^ e
        ff = x3 ^ f.mul(x2, z3)
        g = f.mul(x2 ^ y2, f.sqr(z3))
        y3 = f.mul(e ^ z3, ff) ^ g
        return (x3, y3, z3)

    def _ld_add_table(self, p: _Projective, q: _TablePoint, negate: bool) -> _Projective:
        """``p + q`` (or ``p - q``) for a precomputed ``q``: ``_ld_add_affine`` with tables."""
        x1, y1, z1 = p
        x2, y2, tx, ty, txy = q
        if negate:
            y2 ^= x2
            ty, txy = txy, ty
        if z1 == 0:
            return (x2, y2, 1)
        f = self.field
        z1s = f.sqr(z1)
        a_ = y1 ^ f.mul_by_table(ty, z1s)
        b_ = x1 ^ f.mul_by_table(tx, z1)
        if b_ == 0:
            if a_ == 0:
                return self._ld_double((x2, y2, 1))
            return (1, 0, 0)
        c = f.mul(z1, b_)
        d = c ^ z1s if self.a else c
        d = f.mul(f.sqr(b_), d)
        z3 = f.sqr(c)
        e = f.mul(a_, c)
        x3 = f.sqr(a_) ^ d ^ e
        ff = x3 ^ f.mul_by_table(tx, z3)
        g = f.mul_by_table(txy, f.sqr(z3))
        y3 = f.mul(e ^ z3, ff) ^ g
        return (x3, y3, z3)

    def prepare(self, q: tuple[int, int]) -> PointTable:
        """The precomputation :meth:`mul_add` needs for ``q``; keep it with a public key.

        :raises DstuFormatError: ``q`` has small order.
        """
        return PointTable(self._tabulate(self._odd_multiples(q, _KEY_WINDOW)))

    def _tabulate(self, points: list[tuple[int, int]]) -> list[_TablePoint]:
        f = self.field
        return [(x, y, f.mul_table(x), f.mul_table(y), f.mul_table(x ^ y)) for x, y in points]

    def _to_affine(self, p: _Projective) -> Affine:
        x, y, z = p
        if z == 0:
            return None
        f = self.field
        zi = f.inv(z)
        return (f.mul(x, zi), f.mul(y, f.sqr(zi)))

    def _odd_multiples(self, p: tuple[int, int], width: int) -> list[tuple[int, int]]:
        """``[p, 3p, 5p, ..., (2^(width-1) - 1) p]`` in affine coordinates.

        Made projectively and normalised with one inversion (Montgomery's trick).
        """
        count = 1 << (width - 2)
        two_p = self.double(p)
        if two_p is None:
            raise DstuFormatError("point of order 2")
        proj: list[_Projective] = [(p[0], p[1], 1)]
        for _ in range(count - 1):
            proj.append(self._ld_add_affine(proj[-1], two_p))
        if any(z == 0 for _, _, z in proj):
            raise DstuFormatError("point of small order")
        f = self.field
        prefix = [1]
        for _, _, z in proj:
            prefix.append(f.mul(prefix[-1], z))
        inv = f.inv(prefix[-1])
        result: list[tuple[int, int]] = [(0, 0)] * count
        for i in range(count - 1, -1, -1):
            x, y, z = proj[i]
            zi = f.mul(inv, prefix[i])
            inv = f.mul(inv, z)
            result[i] = (f.mul(x, zi), f.mul(y, f.sqr(zi)))
        return result

    def _base_table(self) -> list[_TablePoint]:
        table = self._g_table
        if table is None:
            with self._lock:
                if self._g_table is None:
                    self._g_table = self._tabulate(self._odd_multiples(self.g, _BASE_WINDOW))
                table = self._g_table
        return table

    def multiply(self, k: int, p: Affine) -> Affine:
        """``k p`` for any integer ``k``."""
        if p is None or k == 0:
            return None
        if k < 0:
            k, p = -k, (p[0], p[0] ^ p[1])
        if p[0] == 0:  # the point of order 2
            return p if k & 1 else None
        table = self._odd_multiples(p, _KEY_WINDOW)
        acc: _Projective = (1, 0, 0)
        for digit in reversed(_wnaf(k, _KEY_WINDOW)):
            acc = self._ld_double(acc)
            if digit:
                q = table[abs(digit) >> 1]
                acc = self._ld_add_affine(acc, q if digit > 0 else (q[0], q[0] ^ q[1]))
        return self._to_affine(acc)

    def mul_add(
        self, s: int, r: int, q: tuple[int, int], q_table: PointTable | None = None
    ) -> Affine:
        """``s G + r q`` for the base point ``G``, with one shared doubling chain.

        :param q_table: ``prepare(q)``, when kept from an earlier call.
        """
        g_table = self._base_table()
        q_points = (q_table or self.prepare(q)).points
        ns = _wnaf(s, _BASE_WINDOW)
        nr = _wnaf(r, _KEY_WINDOW)
        length = max(len(ns), len(nr))
        ns += [0] * (length - len(ns))
        nr += [0] * (length - len(nr))
        acc: _Projective = (1, 0, 0)
        double, add = self._ld_double, self._ld_add_table
        for i in range(length - 1, -1, -1):
            acc = double(acc)
            d = ns[i]
            if d:
                acc = add(acc, g_table[abs(d) >> 1], d < 0)
            d = nr[i]
            if d:
                acc = add(acc, q_points[abs(d) >> 1], d < 0)
        return self._to_affine(acc)


class PointTable:
    """Odd multiples of a point with their product tables (opaque; from ``Curve.prepare``)."""

    __slots__ = ("points",)

    def __init__(self, points: list[_TablePoint]) -> None:
        self.points = points


def _wnaf(k: int, width: int) -> list[int]:
    """Width-``width`` NAF digits of ``k >= 0``, least significant first."""
    digits: list[int] = []
    full = 1 << width
    half = full >> 1
    while k:
        if k & 1:
            d = k & (full - 1)
            if d >= half:
                d -= full
            k -= d
        else:
            d = 0
        digits.append(d)
        k >>= 1
    return digits


_CACHE: dict[CurveParams, Curve] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_BOUND = 32


def curve_for(params: CurveParams, *, check: bool = True) -> Curve:
    """The curve of ``params``, built and validated once per distinct parameter set.

    :param check: verify that the base point is on the curve and has order ``n``
        (parameters taken from a certificate are untrusted input).
    :raises DstuFormatError: the parameters do not define a usable curve.
    """
    curve = _CACHE.get(params)
    if curve is not None:
        return curve
    try:
        curve = Curve(params)
    except ValueError as exc:
        raise DstuFormatError(str(exc)) from exc
    if check:
        _validate(curve)
    with _CACHE_LOCK:
        if len(_CACHE) >= _CACHE_BOUND:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[params] = curve
    return curve


def _validate(curve: Curve) -> None:
    p = curve.params
    if p.a not in (0, 1):
        raise DstuFormatError(f"curve coefficient A must be 0 or 1, not {p.a}")
    if p.b == 0 or p.b >> p.m:
        raise DstuFormatError("curve coefficient B is zero or longer than the field")
    # Hasse: n h is within 2^m + 1 +- 2^(m/2 + 1); DSTU requires n > 2^160 and cofactor 2 or 4.
    if p.n.bit_length() < 160 or p.n % 2 == 0 or p.n.bit_length() > p.m:
        raise DstuFormatError("the base point order n is not a plausible DSTU 4145 order")
    if curve.g[0] == 0 or not curve.on_curve(curve.g):
        raise DstuFormatError("the base point is not on the curve")
    if curve.multiply(p.n, curve.g) is not None:
        raise DstuFormatError("the base point does not have order n")
