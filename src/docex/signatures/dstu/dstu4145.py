"""DSTU 4145-2002 signature verification (§7.2, §7.3 of the standard; §6.9 compression).

Given the base point ``P`` of order ``n``, the public key ``Q`` and a hash ``H``:
``h`` is ``H`` read as a field element (little-endian, as UAPKI and BouncyCastle's
``DSTU4145Signer`` read it) truncated to ``m`` bits, and 1 if that is zero; the signature
``(r, s)`` verifies when ``0 < r, s < n`` and ``r`` equals the field element ``h · x(sP + rQ)``
read as an integer and truncated to ``bitlen(n) - 1`` bits.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from asn1crypto import core

from docex.signatures.dstu import asn1, openssl_ec2m
from docex.signatures.dstu.asn1 import SignatureEncoding
from docex.signatures.dstu.curves import Curve, CurveParams, PointTable, curve_for
from docex.signatures.dstu.errors import DstuFormatError, DstuInvalidSignatureError
from docex.signatures.dstu.gost34311 import expand_dke
from docex.signatures.dstu.named_curves import NAMED_CURVES
from docex.signatures.dstu.oids import DSTU4145_BE, DSTU4145_LE


@dataclass(frozen=True)
class DstuPublicKey:
    """A parsed DSTU 4145 public key: its curve, point and the S-box (DKE) it names."""

    curve: Curve
    point: tuple[int, int]
    dke: bytes | None
    # The precomputation for sP + rQ, made on first use and kept with the key.
    _table: list[PointTable] = field(default_factory=list, compare=False, repr=False)

    def table(self) -> PointTable:
        """The key's precomputed multiples (see ``Curve.prepare``)."""
        if not self._table:
            self._table.append(self.curve.prepare(self.point))
        return self._table[0]

    @property
    def field_bits(self) -> int:
        """``m``, the degree of the curve's field."""
        return self.curve.field.m


def load_public_key(spki: bytes | core.Asn1Value) -> DstuPublicKey:
    """Parse a SubjectPublicKeyInfo (DER or any asn1crypto value of it) holding a DSTU 4145 key.

    :raises DstuFormatError: not a DSTU 4145 key, unknown curve, or a point not on the curve.
    """
    der = spki if isinstance(spki, bytes) else bytes(spki.dump())
    return _load_public_key(der)


# Signers and CAs recur: a parsed key keeps its decompressed point and tables.
@functools.lru_cache(maxsize=256)
def _load_public_key(der: bytes) -> DstuPublicKey:
    try:
        info = asn1.AnyPublicKeyInfo.load(der, strict=True)
        algorithm = info["algorithm"]["algorithm"].dotted
        params_any = info["algorithm"]["parameters"]
        if algorithm == DSTU4145_BE:
            raise DstuFormatError("the big-endian DSTU 4145 variant is not supported")
        if algorithm != DSTU4145_LE:
            raise DstuFormatError(f"not a DSTU 4145 key: {algorithm}")
        if params_any.native is None:
            raise DstuFormatError("DSTU 4145 key without curve parameters")
        params = asn1.DSTU4145Params.load(params_any.dump(), strict=True)
        curve = _curve(params["curve"])
        dke = params["dke"].native
        if dke is not None:
            expand_dke(dke)  # reject a malformed S-box here rather than when hashing
        key_octets = core.OctetString.load(bytes(info["public_key"].native), strict=True).native
    except DstuFormatError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise DstuFormatError(f"malformed DSTU 4145 public key: {exc}") from exc
    point = curve.decompress(_le_element(key_octets, curve.field.m, "public key"))
    return DstuPublicKey(curve=curve, point=point, dke=dke)


def _le_element(octets: bytes, m: int, what: str) -> int:
    if not octets or len(octets) > (m + 7) // 8 + 1:
        raise DstuFormatError(f"{what}: {len(octets)} octets for a {m}-bit field")
    value = int.from_bytes(octets, "little")
    if value >> m:
        raise DstuFormatError(f"{what} is longer than the field")
    return value


def _curve(definition: asn1.CurveDefinition) -> Curve:
    if definition.name == "named_curve":
        oid = definition.chosen.dotted
        named = NAMED_CURVES.get(oid)
        if named is None:
            raise DstuFormatError(f"unknown DSTU 4145 named curve {oid}")
        return curve_for(named)
    ec: asn1.ECBinary = definition.chosen
    if ec["version"].native != 0:
        raise DstuFormatError(f"ECBinary version {ec['version'].native} is not 0")
    m = ec["f"]["m"].native
    poly = ec["f"]["poly"]
    if poly.native is None:
        raise DstuFormatError("curves in optimal normal basis are not supported")
    if poly.name == "trinomial":
        middle: tuple[int, ...] = (poly.chosen.native,)
    else:
        middle = tuple(poly.chosen[name].native for name in ("k", "j", "l"))
    if not 100 < m < 1024:
        raise DstuFormatError(f"field degree {m} is outside what DSTU 4145 defines")
    b = _le_element(ec["b"].native, m, "curve coefficient B")
    compressed_g = _le_element(ec["bp"].native, m, "base point")
    n = ec["n"].native
    a = ec["a"].native
    if a not in (0, 1) or n <= 0:
        raise DstuFormatError("curve coefficient A must be 0 or 1 and n positive")
    # Decompression needs a curve; build one with a placeholder base point, then the real one.
    try:
        probe = Curve(CurveParams(m=m, middle=middle, a=a, b=b, n=n, gx=0, gy=0))
    except ValueError as exc:
        raise DstuFormatError(str(exc)) from exc
    gx, gy = probe.decompress(compressed_g)
    explicit = CurveParams(m=m, middle=middle, a=a, b=b, n=n, gx=gx, gy=gy)
    for params in NAMED_CURVES.values():
        # The usual "explicit" curves are named ones spelled out: share their tables.
        if params == explicit:
            return curve_for(params)
    return curve_for(explicit, check=True)


def decode_signature(signature: bytes, encoding: SignatureEncoding) -> tuple[int, int]:
    """``(r, s)`` from stored signature octets: two little-endian halves ``r || s``.

    :raises DstuFormatError: a wrapper that is not an OCTET STRING, or an odd length.
    """
    octets = signature
    if encoding is SignatureEncoding.X509:
        try:
            octets = core.OctetString.load(signature, strict=True).native
        except (ValueError, TypeError) as exc:
            raise DstuFormatError(f"signature value is not a DER OCTET STRING: {exc}") from exc
    if not octets or len(octets) % 2:
        raise DstuFormatError(f"signature of {len(octets)} octets cannot be split into r and s")
    half = len(octets) // 2
    return int.from_bytes(octets[:half], "little"), int.from_bytes(octets[half:], "little")


def hash_to_field(digest: bytes, m: int) -> int:
    """The field element of a hash: little-endian, truncated to ``m`` bits, 1 if zero."""
    h = int.from_bytes(digest, "little") & ((1 << m) - 1)
    return h or 1


def verify_hash(
    key: DstuPublicKey, digest: bytes, r: int, s: int, *, accelerated: bool = True
) -> None:
    """Verify ``(r, s)`` over an already computed hash.

    :param accelerated: compute ``sP + rQ`` with the system's libcrypto when it can (about
        twenty times faster); the pure-Python arithmetic otherwise. Both give the same point.

    :raises DstuInvalidSignatureError: the signature does not verify (also for r or s
        outside 1..n-1).
    """
    curve = key.curve
    n = curve.n
    if not (0 < r < n and 0 < s < n):
        raise DstuInvalidSignatureError("r or s is outside 1..n-1")
    h = hash_to_field(digest, curve.field.m)
    point = _mul_add(key, s, r) if accelerated else curve.mul_add(s, r, key.point, key.table())
    if point is None:
        raise DstuInvalidSignatureError("sP + rQ is the point at infinity")
    y = curve.field.mul(h, point[0])
    if y & ((1 << (n.bit_length() - 1)) - 1) != r:
        raise DstuInvalidSignatureError("DSTU 4145 signature does not verify")


def _mul_add(key: DstuPublicKey, s: int, r: int) -> tuple[int, int] | None:
    if openssl_ec2m.available():
        try:
            return openssl_ec2m.mul_add(key.curve, s, r, key.point)
        except ValueError:
            # libcrypto refused a curve or point the pure code accepted: trust the reference.
            pass
    return key.curve.mul_add(s, r, key.point, key.table())
