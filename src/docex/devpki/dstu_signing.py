"""DSTU 4145-2002 signing for the development PKI.  DEVELOPMENT ONLY -- never trust it.

The verifier (:mod:`docex.signatures.dstu`) only verifies; this module makes the keys and
signatures the development PKI's DSTU branch needs, from the same curve arithmetic and
GOST 34.311-95. Nothing in :mod:`docex.signatures` imports it, and nothing here tries to
be side-channel safe: the keys it handles are published in ``certs-dev/``.

DSTU 4145-2002 conventions (§6.5, §7.1, §7.2 of the standard; BouncyCastle's
``DSTU4145Signer``; UAPKI):

* the private key is ``d`` in ``1..n-1`` and the public key is ``Q = -d·P`` (the negation
  makes verification ``sP + rQ = eP``);
* to sign a hash ``H``: ``h`` is ``H`` read little-endian as a field element (1 if zero);
  pick ``e``, let ``F = e·P``, ``r`` = the field element ``h·x(F)`` read as an integer and
  truncated to ``bitlen(n) - 1`` bits, ``s = (e + d·r) mod n``;
* the signature is ``r || s``, each little-endian in ``ceil(bitlen(n) / 8)`` octets;
* the public key is stored compressed (§6.9), little-endian, in an OCTET STRING inside the
  SubjectPublicKeyInfo BIT STRING.

The nonce ``e`` is derived deterministically from ``d`` and ``H`` (HMAC-SHA-256 in counter
mode) so that regenerating the development PKI gives byte-identical certificates and CRLs.
That is fine for a published development key and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import ClassVar

from asn1crypto import core, pem

from docex.signatures.dstu import asn1 as dstu_asn1
from docex.signatures.dstu.asn1 import SignatureEncoding
from docex.signatures.dstu.curves import Curve, curve_for
from docex.signatures.dstu.digests import hash_bytes
from docex.signatures.dstu.dstu4145 import hash_to_field
from docex.signatures.dstu.named_curves import NAMED_CURVES
from docex.signatures.dstu.oids import DSTU4145_LE, GOST34311, NAMED_CURVE_ARC

CURVE_M257 = f"{NAMED_CURVE_ARC}.6"
"""DSTU 4145 named curve over GF(2^257) (the one Ukrainian end-entity keys use most)."""
CURVE_M431 = f"{NAMED_CURVE_ARC}.9"
"""DSTU 4145 named curve over GF(2^431) (the one Ukrainian root CAs use)."""

PEM_LABEL = "DSTU4145 DEVELOPMENT ONLY PRIVATE KEY"
"""The PEM label of :meth:`DstuPrivateKey.to_pem`; no standard form exists for these keys."""


class _PrivateKeyInfo(core.Sequence):  # type: ignore[misc]
    """``SEQUENCE { curve OBJECT IDENTIFIER, d INTEGER }``: our own development format."""

    _fields: ClassVar = [("curve", core.ObjectIdentifier), ("d", core.Integer)]


@dataclass(frozen=True)
class DstuPrivateKey:
    """A DSTU 4145 private key on a named curve, with its public point ``Q = -d·P``."""

    curve_oid: str
    d: int

    def __post_init__(self) -> None:
        if self.curve_oid not in NAMED_CURVES:
            raise ValueError(f"not a DSTU 4145 named curve: {self.curve_oid}")
        if not 0 < self.d < self.curve.n:
            raise ValueError("the private key must be in 1..n-1")

    @property
    def curve(self) -> Curve:
        """The key's curve (shared with the verifier's cache)."""
        return curve_for(NAMED_CURVES[self.curve_oid])

    @property
    def public_point(self) -> tuple[int, int]:
        """``Q = -d·P`` in affine coordinates."""
        curve = self.curve
        point = curve.negate(curve.multiply(self.d, curve.g))
        if point is None:  # pragma: no cover - 0 < d < n rules it out
            raise ValueError("the public key is the point at infinity")
        return point

    def public_key_info(self) -> bytes:
        """The DER SubjectPublicKeyInfo (algorithm 1.2.804.2.1.1.1.1.3.1.1, named curve)."""
        curve = self.curve
        size = (curve.field.m + 7) // 8
        compressed = curve.compress(self.public_point).to_bytes(size, "little")
        params = dstu_asn1.DSTU4145Params(
            {"curve": dstu_asn1.CurveDefinition(name="named_curve", value=self.curve_oid)}
        )
        info = dstu_asn1.AnyPublicKeyInfo(
            {
                "algorithm": {"algorithm": DSTU4145_LE, "parameters": params},
                "public_key": core.OctetString(compressed).dump(),
            }
        )
        der: bytes = info.dump()
        return der

    def sign_hash(self, digest: bytes) -> tuple[int, int]:
        """``(r, s)`` over an already computed hash (§7.2)."""
        curve = self.curve
        n = curve.n
        h = hash_to_field(digest, curve.field.m)
        mask = (1 << (n.bit_length() - 1)) - 1
        for counter in range(1 << 16):
            e = self._nonce(digest, counter)
            point = curve.multiply(e, curve.g)
            if point is None or point[0] == 0:
                continue
            r = curve.field.mul(h, point[0]) & mask
            if r == 0:
                continue
            s = (e + self.d * r) % n
            if s:
                return r, s
        raise RuntimeError("no usable nonce")  # pragma: no cover - probability ~2^-400

    def sign(
        self,
        message: bytes,
        *,
        encoding: SignatureEncoding = SignatureEncoding.CMS,
        sbox: bytes | None = None,
    ) -> bytes:
        """Sign ``message`` hashed with GOST 34.311-95 and return the stored octets.

        :param encoding: CMS gives ``r || s`` (a SignerInfo's signature); X509 the DER
            OCTET STRING of it (what a BIT STRING signatureValue holds).
        :param sbox: GOST 34.311 S-box; DKE №1 by default, as the keys here name none.
        """
        r, s = self.sign_hash(hash_bytes(GOST34311, message, sbox=sbox))
        half = (self.curve.n.bit_length() + 7) // 8
        octets = r.to_bytes(half, "little") + s.to_bytes(half, "little")
        if encoding is SignatureEncoding.X509:
            wrapped: bytes = core.OctetString(octets).dump()
            return wrapped
        return octets

    def _nonce(self, digest: bytes, counter: int) -> int:
        n = self.curve.n
        key = self.d.to_bytes((n.bit_length() + 7) // 8, "big")
        stream = b""
        block = 0
        while len(stream) * 8 < n.bit_length() + 64:
            stream += hmac.new(
                key, digest + counter.to_bytes(4, "big") + block.to_bytes(4, "big"), hashlib.sha256
            ).digest()
            block += 1
        return int.from_bytes(stream, "big") % (n - 1) + 1

    def to_pem(self) -> bytes:
        """This key in our development PEM form (see :data:`PEM_LABEL`)."""
        der = _PrivateKeyInfo({"curve": self.curve_oid, "d": self.d}).dump()
        armored: bytes = pem.armor(PEM_LABEL, der)
        return armored

    @classmethod
    def from_pem(cls, data: bytes) -> DstuPrivateKey:
        """Read a key written by :meth:`to_pem`.

        :raises ValueError: not such a key.
        """
        label, _, der = pem.unarmor(data)
        if label != PEM_LABEL:
            raise ValueError(f"expected a {PEM_LABEL!r} PEM block, found {label!r}")
        info = _PrivateKeyInfo.load(der, strict=True)
        return cls(curve_oid=info["curve"].dotted, d=info["d"].native)

    @classmethod
    def generate(cls, curve_oid: str) -> DstuPrivateKey:
        """A fresh random key on a named curve."""
        n = curve_for(NAMED_CURVES[curve_oid]).n
        return cls(curve_oid=curve_oid, d=secrets.randbelow(n - 1) + 1)
