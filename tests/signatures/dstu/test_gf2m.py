"""GF(2^m) arithmetic checked against schoolbook definitions and field identities."""

from __future__ import annotations

import random

import pytest

from docex.signatures.dstu.gf2m import BinaryField, clmul
from docex.signatures.dstu.named_curves import NAMED_CURVES

FIELDS = sorted({(p.m, p.middle) for p in NAMED_CURVES.values()})


def schoolbook_clmul(a: int, b: int) -> int:
    result = 0
    while b:
        if b & 1:
            result ^= a
        a <<= 1
        b >>= 1
    return result


def schoolbook_mod(c: int, poly: int) -> int:
    degree = poly.bit_length() - 1
    while c.bit_length() - 1 >= degree:
        c ^= poly << (c.bit_length() - 1 - degree)
    return c


@pytest.fixture
def rng() -> random.Random:
    return random.Random(4145)  # noqa: S311  # test inputs, not key material


def test_clmul_matches_the_schoolbook_product(rng: random.Random) -> None:
    for bits in (1, 7, 8, 9, 64, 257, 431, 900):
        a, b = rng.getrandbits(bits) | 1, rng.getrandbits(bits)
        assert clmul(a, b) == schoolbook_clmul(a, b)
    assert clmul(0, 12345) == 0
    assert clmul(12345, 0) == 0


@pytest.mark.parametrize(("m", "middle"), FIELDS)
def test_field_operations(m: int, middle: tuple[int, ...], rng: random.Random) -> None:
    f = BinaryField(m, middle)
    assert f.poly.bit_length() == m + 1
    for _ in range(5):
        a, b = rng.getrandbits(m), rng.getrandbits(m) | 1
        assert f.mul(a, b) == schoolbook_mod(schoolbook_clmul(a, b), f.poly)
        assert f.sqr(a) == f.mul(a, a)
        assert f.mul(b, f.inv(b)) == 1
        # The trace is GF(2)-linear and tr(1) = m mod 2 = 1 for these odd degrees.
        assert f.trace(a ^ b) == f.trace(a) ^ f.trace(b)
        assert f.trace(1) == 1
        w = a if f.trace(a) == 0 else a ^ 1
        z = f.solve_quadratic(w)
        assert z is not None
        assert f.sqr(z) ^ z == w
        assert f.solve_quadratic(w ^ 1) is None


def test_reduce_handles_any_degree() -> None:
    f = BinaryField(163, (7, 6, 3))
    c = (1 << 600) | (1 << 163) | 5
    assert f.reduce(c) == schoolbook_mod(c, f.poly)


def test_zero_has_no_inverse() -> None:
    with pytest.raises(ZeroDivisionError):
        BinaryField(257, (12,)).inv(0)


@pytest.mark.parametrize(
    ("m", "middle"), [(257, (0,)), (257, (257,)), (257, (12, 12, 3)), (1, (0,))]
)
def test_bad_polynomials_are_refused(m: int, middle: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="not a trinomial or pentanomial"):
        BinaryField(m, middle)


@pytest.mark.parametrize(("m", "middle"), FIELDS)
def test_trace_mask_matches_the_definition(m: int, middle: tuple[int, ...]) -> None:
    f = BinaryField(m, middle)
    for i in range(m):
        assert f.trace(1 << i) == f.trace_by_squaring(1 << i)


def test_table_products_match_plain_products(rng: random.Random) -> None:
    f = BinaryField(431, (5, 3, 1))
    c = rng.getrandbits(431)
    table = f.mul_table(c)
    for b in (0, 1, 255, rng.getrandbits(431), (1 << 431) - 1):
        assert f.mul_by_table(table, b) == f.mul(c, b)
