"""The DSTU 4145 curves: named parameters, point arithmetic and compression."""

from __future__ import annotations

import random

import pytest

from docex.signatures.dstu import openssl_ec2m
from docex.signatures.dstu.curves import Curve, CurveParams, curve_for
from docex.signatures.dstu.errors import DstuFormatError
from docex.signatures.dstu.named_curves import NAMED_CURVES

CURVE_6 = NAMED_CURVES["1.2.804.2.1.1.1.1.3.1.1.2.6"]

# The same curves as UAPKI spells them (ec-default-params.c, little-endian byte arrays):
# a second, independent transcription of the standard's table.
UAPKI_LE = {
    "1.2.804.2.1.1.1.1.3.1.1.2.0": (
        "215d45c1198a635e9203b40a21c82d2a460861ff05",
        "4df1bc392d26e22bc1be02" + "00" * 9 + "04",
        "be2358f3a3f8da297223c4a583e94cd75d5ff8e202",
        "3a72cde20ce0f03fd0d98452b9d7518c8a006f8203",
    ),
    "1.2.804.2.1.1.1.1.3.1.1.2.6": (
        "10bee3db6aea9e1f86578c45c12594ff942394a7d738f9187e6515017294f4ce01",
        "0d477d901477e1d387e982f13a215967" + "00" * 15 + "80",
        "b70fd2d8dce8a93423c6101bca91c47a007e6c300b26cd556c9b0e7d20ef292a",
        "ef14d856f12c708b970bd6a9932c81e60231a0eed8f6cc9f44d444f71fd4860601",
    ),
    "1.2.804.2.1.1.1.1.3.1.1.2.9": (
        "f3ca40c669a4da173149ca12c32dae186b53ac6bc6365997deaeae8ad2d888f9bfd53401694ef9c4273d"
        "8cfe6dc28f706a0f4910ce03",
        "cf040511957a0cd980afcb1f8aaa812ff024a7c0a80980457531ba" + "ff" * 26 + "3f",
        "7d857c94c5433bfd991e17c22684065850a9a249ed7bc249ae5a4e878689f872ef7ad524082ec3038e9a"
        "ede7ba6ba13381d979ba621a",
        "b92de090e0243772e2b50833a54ba11e9b76c155a839188d6b39aa31f341a28df4a54c4b7551f466debd"
        "96febe0bf7c13140e1e1b570",
    ),
}


def le(hex_bytes: str) -> int:
    return int.from_bytes(bytes.fromhex(hex_bytes), "little")


@pytest.mark.parametrize("oid", sorted(UAPKI_LE))
def test_named_curves_agree_with_uapki(oid: str) -> None:
    b, n, gx, gy = UAPKI_LE[oid]
    params = NAMED_CURVES[oid]
    assert (params.b, params.n, params.gx, params.gy) == (le(b), le(n), le(gx), le(gy))


@pytest.mark.parametrize("oid", sorted(NAMED_CURVES))
def test_named_base_points_are_on_the_curve_with_order_n(oid: str) -> None:
    params = NAMED_CURVES[oid]
    curve = Curve(params)
    assert curve.on_curve(curve.g)
    assert curve.multiply(params.n, curve.g) is None
    assert curve.multiply(params.n - 1, curve.g) == curve.negate(curve.g)
    # The cofactor (BouncyCastle's table: 4 for m = 173 and 257, else 2) puts n h within
    # the Hasse bound of 2^m + 1.
    h = 4 if params.m in (173, 257) else 2
    trace = params.n * h - (1 << params.m) - 1
    assert trace * trace <= 4 << params.m


def test_projective_arithmetic_matches_affine() -> None:
    curve = curve_for(CURVE_6)
    rng = random.Random(7564)  # noqa: S311  # test inputs, not key material
    g = curve.g
    for _ in range(3):
        k, j = rng.randrange(1, curve.n), rng.randrange(1, curve.n)
        p = curve.multiply(k, g)
        q = curve.multiply(j, g)
        assert p is not None
        assert q is not None
        assert curve.on_curve(p)
        assert curve.add(p, q) == curve.multiply(k + j, g)
        assert curve.double(p) == curve.multiply(2 * k, g)
        assert curve.mul_add(k, j, q) == curve.add(p, curve.multiply(j * j, g))
    # A small multiple by repeated affine addition.
    acc = None
    for _ in range(13):
        acc = curve.add(acc, g)
    assert acc == curve.multiply(13, g)
    assert curve.add(g, curve.negate(g)) is None
    assert curve.mul_add(1, curve.n - 1, g) is None


@pytest.mark.parametrize("oid", sorted(NAMED_CURVES))
def test_compression_round_trips(oid: str) -> None:
    curve = curve_for(NAMED_CURVES[oid])
    rng = random.Random(oid)  # noqa: S311  # test inputs, not key material
    for point in (curve.g, curve.multiply(rng.randrange(1, curve.n), curve.g)):
        assert point is not None
        assert curve.decompress(curve.compress(point)) == point


def test_a_compressed_x_without_a_point_is_a_format_error() -> None:
    curve = curve_for(CURVE_6)
    f = curve.field
    x = 2
    # Find an x (with tr(x) = tr(A)) for which z^2 + z = x + A + B/x^2 has no solution.
    while f.trace(x) != curve.a or f.trace(x ^ curve.a ^ f.mul(curve.b, f.sqr(f.inv(x)))) == 0:
        x += 2
    with pytest.raises(DstuFormatError, match="not on the curve"):
        curve.decompress(x)
    with pytest.raises(DstuFormatError, match="x = 0"):
        curve.decompress(0)
    with pytest.raises(DstuFormatError, match="longer than the field"):
        curve.decompress(1 << 257)


def test_explicit_parameters_are_validated() -> None:
    good = CURVE_6
    wrong_order = CurveParams(
        m=good.m, middle=good.middle, a=good.a, b=good.b, n=good.n + 2, gx=good.gx, gy=good.gy
    )
    with pytest.raises(DstuFormatError, match="order n"):
        curve_for(wrong_order)
    off_curve = CurveParams(
        m=good.m, middle=good.middle, a=good.a, b=good.b, n=good.n, gx=good.gx, gy=good.gy ^ 1
    )
    with pytest.raises(DstuFormatError, match="not on the curve"):
        curve_for(off_curve)
    bad_a = CurveParams(m=good.m, middle=good.middle, a=2, b=good.b, n=good.n, gx=1, gy=1)
    with pytest.raises(DstuFormatError, match="A must be 0 or 1"):
        curve_for(bad_a)


def test_libcrypto_accelerator_loads() -> None:
    # The deployment images (Debian, OpenSSL 3 with EC2M) have it; the pure code is the
    # fallback where they do not.
    assert openssl_ec2m.available()


@pytest.mark.parametrize("oid", sorted(NAMED_CURVES))
def test_libcrypto_agrees_with_the_pure_arithmetic(oid: str) -> None:
    curve = curve_for(NAMED_CURVES[oid])
    rng = random.Random(oid + "openssl")  # noqa: S311  # test inputs, not key material
    q = curve.multiply(rng.randrange(1, curve.n), curve.g)
    assert q is not None
    for s, r in ((rng.randrange(1, curve.n), rng.randrange(1, curve.n)), (1, 1), (2, curve.n - 2)):
        assert openssl_ec2m.mul_add(curve, s, r, q) == curve.mul_add(s, r, q)
    # G + (n - 1) G is the point at infinity in both.
    assert openssl_ec2m.mul_add(curve, 1, curve.n - 1, curve.g) is None


def test_libcrypto_refuses_a_point_off_the_curve() -> None:
    curve = curve_for(CURVE_6)
    with pytest.raises(ValueError, match="not on the curve"):
        openssl_ec2m.mul_add(curve, 1, 1, (curve.g[0], curve.g[1] ^ 1))
