"""``sG + rQ`` on a binary curve by the system's libcrypto, when it has GF(2^m) support.

OpenSSL implements curves ``y^2 + xy = x^3 + a x^2 + b`` over GF(2^m) in polynomial basis
(``EC_GROUP_new_curve_GF2m``) — the same curves as DSTU 4145 — but no DSTU signature, so
only the scalar multiplication is delegated; everything else stays in :mod:`.dstu4145`.
The pure-Python :meth:`Curve.mul_add <docex.signatures.dstu.curves.Curve.mul_add>` is the
reference: the tests check both agree, and it is used whenever this module cannot load
(no libcrypto, or one built with ``no-ec2m``).

``cryptography``'s bundled OpenSSL is not reachable from Python, so this binds the shared
library with ctypes. Every pointer crosses as ``c_void_p``; every result is checked.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from docex.signatures.dstu.curves import Curve

_P = ctypes.c_void_p


class _Lib:
    """The few libcrypto functions used, with their C signatures."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        def bind(name: str, restype: object, *argtypes: object) -> Callable[..., Any]:
            fn = getattr(lib, name)
            fn.restype = restype
            fn.argtypes = argtypes
            return cast("Callable[..., Any]", fn)

        i = ctypes.c_int
        self.bn_new = bind("BN_new", _P)
        self.bn_free = bind("BN_free", None, _P)
        self.bn_bin2bn = bind("BN_bin2bn", _P, ctypes.c_char_p, i, _P)
        self.bn_bn2binpad = bind("BN_bn2binpad", i, _P, ctypes.c_char_p, i)
        self.ctx_new = bind("BN_CTX_new", _P)
        self.ctx_free = bind("BN_CTX_free", None, _P)
        self.group_new = bind("EC_GROUP_new_curve_GF2m", _P, _P, _P, _P, _P)
        self.group_free = bind("EC_GROUP_free", None, _P)
        self.set_generator = bind("EC_GROUP_set_generator", i, _P, _P, _P, _P)
        self.precompute = bind("EC_GROUP_precompute_mult", i, _P, _P)
        self.point_new = bind("EC_POINT_new", _P, _P)
        self.point_free = bind("EC_POINT_free", None, _P)
        self.set_affine = bind("EC_POINT_set_affine_coordinates", i, _P, _P, _P, _P, _P)
        self.get_affine = bind("EC_POINT_get_affine_coordinates", i, _P, _P, _P, _P, _P)
        self.is_infinity = bind("EC_POINT_is_at_infinity", i, _P, _P)
        self.mul = bind("EC_POINT_mul", i, _P, _P, _P, _P, _P, _P)


@functools.cache
def _load() -> _Lib | None:
    """Bind libcrypto on first use (not at import: finding it runs ``ldconfig``)."""
    name = ctypes.util.find_library("crypto")
    if name is None:
        return None
    try:
        return _Lib(ctypes.CDLL(name))
    except (OSError, AttributeError):
        # Missing library or symbols (a libcrypto built without EC2M lacks the GF2m ones).
        return None


def available() -> bool:
    """Whether the libcrypto accelerator loaded."""
    return _load() is not None


class _Bn:
    """A BIGNUM owned by Python."""

    def __init__(self, lib: _Lib, value: int) -> None:
        self._lib = lib
        raw = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
        self.ptr = lib.bn_bin2bn(raw, len(raw), None)
        if not self.ptr:
            raise MemoryError("BN_bin2bn failed")

    def free(self) -> None:
        if self.ptr:
            self._lib.bn_free(self.ptr)
            self.ptr = None


class _Group:
    """An EC_GROUP for one curve, with its generator and precomputed multiples."""

    def __init__(self, lib: _Lib, curve: Curve) -> None:
        self.lib = lib
        params = curve.params
        self.size = (params.m + 7) // 8
        cofactor = round((1 << params.m) / params.n)
        nums = [_Bn(lib, v) for v in (curve.field.poly, params.a, params.b, params.n, cofactor)]
        ctx = lib.ctx_new()
        group = point = None
        try:
            poly, a, b, n, h = (x.ptr for x in nums)
            group = lib.group_new(poly, a, b, ctx)
            if not group:
                raise ValueError("EC_GROUP_new_curve_GF2m refused the curve")
            point = self._point(group, curve.g, ctx)
            if lib.set_generator(group, point, n, h) != 1 or lib.precompute(group, ctx) != 1:
                raise ValueError("EC_GROUP_set_generator refused the base point")
        except BaseException:
            if group:
                lib.group_free(group)
            raise
        finally:
            if point:
                lib.point_free(point)
            lib.ctx_free(ctx)
            for x in nums:
                x.free()
        self.group = group
        self._finalizer = weakref.finalize(self, lib.group_free, group)

    def _point(self, group: int, xy: tuple[int, int], ctx: int) -> int:
        lib = self.lib
        point = lib.point_new(group)
        x, y = _Bn(lib, xy[0]), _Bn(lib, xy[1])
        try:
            if lib.set_affine(group, point, x.ptr, y.ptr, ctx) != 1:
                lib.point_free(point)
                raise ValueError("point is not on the curve")
        finally:
            x.free()
            y.free()
        return int(point)

    def mul_add(self, s: int, r: int, q: tuple[int, int]) -> tuple[int, int] | None:
        lib = self.lib
        ctx = lib.ctx_new()
        bs, br = _Bn(lib, s), _Bn(lib, r)
        qp = result = None
        xb, yb = lib.bn_new(), lib.bn_new()
        try:
            qp = self._point(self.group, q, ctx)
            result = lib.point_new(self.group)
            if lib.mul(self.group, result, bs.ptr, qp, br.ptr, ctx) != 1:
                raise ValueError("EC_POINT_mul failed")
            if lib.is_infinity(self.group, result) == 1:
                return None
            if lib.get_affine(self.group, result, xb, yb, ctx) != 1:
                raise ValueError("EC_POINT_get_affine_coordinates failed")
            out = ctypes.create_string_buffer(self.size)
            coords = []
            for bn in (xb, yb):
                if lib.bn_bn2binpad(bn, out, self.size) != self.size:
                    raise ValueError("BN_bn2binpad failed")
                coords.append(int.from_bytes(out.raw, "big"))
            return (coords[0], coords[1])
        finally:
            for ptr in (qp, result):
                if ptr:
                    lib.point_free(ptr)
            lib.bn_free(xb)
            lib.bn_free(yb)
            bs.free()
            br.free()
            lib.ctx_free(ctx)


_GROUPS: weakref.WeakKeyDictionary[Curve, _Group] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def mul_add(curve: Curve, s: int, r: int, q: tuple[int, int]) -> tuple[int, int] | None:
    """``s G + r q`` on ``curve`` by libcrypto (None for the point at infinity).

    :raises RuntimeError: the accelerator is not available.
    :raises ValueError: libcrypto refused the curve or a point.
    """
    lib = _load()
    if lib is None:
        raise RuntimeError("libcrypto with GF(2^m) support is not available")
    group = _GROUPS.get(curve)
    if group is None:
        with _LOCK:
            group = _GROUPS.get(curve)
            if group is None:
                group = _Group(lib, curve)
                _GROUPS[curve] = group
    return group.mul_add(s, r, q)
