"""DSTU 4145-2002 verification against BouncyCastle's published vectors, and its refusals.

The vectors are BouncyCastle's ``DSTU4145Test`` (bc-java, core/src/test/.../crypto/test):
its m = 163 case is the example of DSTU 4145-2002 Annex B (curve, base point, key ``d``,
hash and signature). BouncyCastle signs with ``Q = -dP``; the hash literals there are
big-endian numbers that the test reverses and the signer reverses back, so the digest
octets given to us (read little-endian) are the literal's bytes reversed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from docex.signatures.dstu import DstuInvalidSignatureError
from docex.signatures.dstu.curves import CurveParams, curve_for
from docex.signatures.dstu.dstu4145 import DstuPublicKey, hash_to_field, verify_hash


@dataclass(frozen=True)
class Vector:
    params: CurveParams
    d: int
    hash_be: str
    r: int
    s: int


def _curve(
    m: int, middle: tuple[int, ...], a: int, b: str, n: str, gx: str, gy: str
) -> CurveParams:
    return CurveParams(
        m=m, middle=middle, a=a, b=int(b, 16), n=int(n, 16), gx=int(gx, 16), gy=int(gy, 16)
    )


ANNEX_B_163 = _curve(
    163,
    (7, 6, 3),
    1,
    "5FF6108462A2DC8210AB403925E638A19C1455D21",
    "400000000000000000002BEC12BE2262D39BCF14D",
    "72d867f93a93ac27df9ff01affe74885c8c540420",
    "0224a9c3947852b97c5599d5f4ab81122adc3fd9b",
)
CURVE_173 = _curve(
    173,
    (10, 2, 1),
    0,
    "108576C80499DB2FC16EDDF6853BBB278F6B6FB437D9",
    "800000000000000000000189B4E67606E3825BB2831",
    "BE6628EC3E67A91A4E470894FBA72B52C515F8AEE9",
    "D9DEEDF655CF5412313C11CA566CDC71F4DA57DB45C",
)
CURVE_283 = _curve(
    283,
    (12, 7, 5),
    1,
    "27B680AC8B8596DA5A4AF8A19A0303FCA97FD7645309FA2A581485AF6263E313B79A2F5",
    "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEF90399660FC938A90165B042A7CEFADB307",
    "4D95820ACE761110824CE425C8089129487389B7F0E0A9D043DDC0BB0A4CC9EB25",
    "954C9C4029B2C62DE35C2B9C2A164984BF1101951E3A68ED03DF234DDE5BB2013152F2",
)
CURVE_431 = _curve(
    431,
    (5, 3, 1),
    1,
    "3CE10490F6A708FC26DFE8C3D27C4F94E690134D5BFF988D8D28AAEAEDE975936C66BAC536B18AE2DC312CA4"
    "93117DAA469C640CAF3",
    "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFBA3175458009A8C0A724F02F81AA8A1FCBAF"
    "80D90C7A95110504CF",
    "9548BCDF314CEEEAF099C780FFEFBF93F9FE5B5F55547603C9C8FC1A2774170882B3BE35E892C6D4296B8DEA"
    "282EC30FB344272791",
    "4C6CBD7C62A8EEEFDE17A8B5E196E49A22CE6DE128ABD9FBD81FA4411AD5A38E2A810BEDE09A7C6226BCDCB4"
    "A4A5DA37B4725E00AA74",
)
SHORT_HASH = "0137187EA862117EF1484289470ECAC802C5A651FDA8"

VECTORS = {
    "annex-b-163": Vector(
        ANNEX_B_163,
        0x183F60FDF7951FF47D67193F8D073790C1C9B5A3E,
        "09c9c44277910c9aaee486883a2eb95b7180166ddf73532eeb76edaef52247ff",
        0x274EA2C0CAA014A0D80A424F59ADE7A93068D08A7,
        0x2100D86957331832B8E8C230F5BD6A332B3615ACA,
    ),
    "bc-173": Vector(
        CURVE_173,
        0x955CD7E344303D1034E66933DC21C8044D42ADB8,
        SHORT_HASH,
        0x13AE89746386709CDBD237CC5EC20CA30004A82EAD8,
        0x3597912CDD093B3E711CCB74A79D3C4AB4C7CCCDC60,
    ),
    "bc-283": Vector(
        CURVE_283,
        0xB844EEAF15213E4BAD4FB84796D68F2448DB8EB7B4621EC0D51929874892C43E,
        SHORT_HASH,
        0x12A5EDCC38D92208FF23036D75B000C7E4BC0F9AF2D40B35F15D6FD15E01234E67781A8,
        0x2DE0775577F75B643CF5AFC80D4FE10B21100690F17E2CAB7BDC9B50EC87C5727AEB515,
    ),
    "bc-431": Vector(
        CURVE_431,
        int(
            "D0F97354E314191FD773E2404F478C8AEE0FF5109F39E6F37D1FEEC8B2ED1691D84C9882CC729E716A71CC"
            "013F66CAC60E29E22C",
            16,
        ),
        SHORT_HASH,
        int(
            "1911fefb1f494bebcf8dffdf5276946ff9c9f662192ee18c718db47310a439c784fe07577b16e1edbe1617"
            "9876e0792a634f1c9c3a2e",
            16,
        ),
        int(
            "3852170ee801c2083c52f1ea77b987a5432acecd9c654f064e87bf179e0a397151edbca430082e43bd38a6"
            "7b55424b5bbc7f2713f620",
            16,
        ),
    ),
    # testTruncation: a 208-bit "hash" of all ones on the 173-bit curve (not reversed there).
    "bc-truncation": Vector(
        CURVE_173,
        0x955CD7E344303D1034E66933DC21C8044D42ADB8,
        "FF" * 26,
        0x6BB5C0CB82E5067485458EBFE81025F03B687C63A27,
        0x34D6B1868969B86ECF934167C8FE352C63D1074BD,
    ),
}


def key_of(vector: Vector) -> DstuPublicKey:
    curve = curve_for(vector.params)
    q = curve.multiply(vector.d, curve.g)
    assert q is not None
    minus_q = curve.negate(q)
    assert minus_q is not None  # the negation of a finite point is finite
    return DstuPublicKey(curve=curve, point=minus_q, dke=None)


def digest_of(vector: Vector) -> bytes:
    return bytes.fromhex(vector.hash_be)[::-1]


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_published_signatures_verify(name: str) -> None:
    vector = VECTORS[name]
    verify_hash(key_of(vector), digest_of(vector), vector.r, vector.s)


def _tampered(vector: Vector) -> dict[str, tuple[int, int, bytes]]:
    n = vector.params.n
    digest = digest_of(vector)
    return {
        "r flipped": (vector.r ^ 1, vector.s, digest),
        "s flipped": (vector.r, vector.s ^ 4, digest),
        "r and s swapped": (vector.s, vector.r, digest),
        "hash changed": (vector.r, vector.s, bytes([digest[0] ^ 1]) + digest[1:]),
        "r = 0": (0, vector.s, digest),
        "s = 0": (vector.r, 0, digest),
        "r = n": (n, vector.s, digest),
        "s + n": (vector.r, vector.s + n, digest),
    }


@pytest.mark.parametrize(
    "case",
    [
        "r flipped",
        "s flipped",
        "r and s swapped",
        "hash changed",
        "r = 0",
        "s = 0",
        "r = n",
        "s + n",
    ],
)
def test_tampered_signatures_do_not_verify(case: str) -> None:
    vector = VECTORS["annex-b-163"]
    r, s, digest = _tampered(vector)[case]
    expected = "outside 1..n-1" if case in ("r = 0", "s = 0", "r = n", "s + n") else "does not"
    with pytest.raises(DstuInvalidSignatureError, match=expected):
        verify_hash(key_of(vector), digest, r, s)


def test_another_key_does_not_verify() -> None:
    vector = VECTORS["bc-173"]
    curve = curve_for(vector.params)
    other = DstuPublicKey(curve=curve, point=curve.g, dke=None)
    with pytest.raises(DstuInvalidSignatureError, match="does not verify"):
        verify_hash(other, digest_of(vector), vector.r, vector.s)


def test_hash_to_field_truncates_and_avoids_zero() -> None:
    assert hash_to_field(b"\xff" * 26, 173) == (1 << 173) - 1
    assert hash_to_field(b"\x01\x02", 163) == 0x0201
    # Only bits above m set: truncation leaves zero, which the standard replaces by one.
    assert hash_to_field((1 << 200).to_bytes(26, "little"), 173) == 1
