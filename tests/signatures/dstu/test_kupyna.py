"""DSTU 7564:2014 (Kupyna) against BouncyCastle's DSTU7564Test vectors (from the standard)."""

from __future__ import annotations

import pytest

from docex.signatures.dstu import KUPYNA_256, KUPYNA_384, KUPYNA_512, hash_bytes
from docex.signatures.dstu.kupyna import SBOXES, Kupyna, kupyna

SEQUENCE = bytes(range(256))


@pytest.mark.parametrize(
    ("bits", "message", "expected"),
    [
        (256, SEQUENCE[:64], "08F4EE6F1BE6903B324C4E27990CB24EF69DD58DBE84813EE0A52F6631239875"),
        (256, SEQUENCE[:128], "0A9474E645A7D25E255E9E89FFF42EC7EB31349007059284F0B182E452BDA882"),
        (256, SEQUENCE, "D305A32B963D149DC765F68594505D4077024F836C1BF03806E1624CE176C08F"),
        (256, b"\xff", "EA7677CA4526555680441C117982EA14059EA6D0D7124D6ECDB3DEEC49E890F4"),
        (256, SEQUENCE[:95], "1075C8B0CB910F116BDA5FA1F19C29CF8ECC75CAFF7208BA2994B68FC56E8D16"),
        (256, b"", "CD5101D1CCDF0D1D1F4ADA56E888CD724CA1A0838A3521E7131D4FB78D0F5EB6"),
        (
            384,
            SEQUENCE[:95],
            "D9021692D84E5175735654846BA751E6D0ED0FAC36DFBC0841287DCB0B5584C7"
            "5016C3DECC2A6E47C50B2F3811E351B8",
        ),
        (
            512,
            SEQUENCE,
            "0DD03D7350C409CB3C29C25893A0724F6B133FA8B9EB90A64D1A8FA93B565566"
            "11EB187D715A956B107E3BFC76482298133A9CE8CBC0BD5E1436A5B197284F7E",
        ),
        (
            512,
            b"\xff",
            "871B18CF754B72740307A97B449ABEB32B64444CC0D5A4D65830AE5456837A72"
            "D8458F12C8F06C98C616ABE11897F86263B5CB77C420FB375374BEC52B6D0292",
        ),
        (
            512,
            SEQUENCE[:192],
            "B189BFE987F682F5F167F0D7FA565330E126B6E592B1C55D44299064EF95B1A5"
            "7F3C2D0ECF17869D1D199EBBD02E8857FB8ADD67A8C31F56CD82C016CF743121",
        ),
        (
            512,
            b"",
            "656B2F4CD71462388B64A37043EA55DBE445D452AECD46C3298343314EF04019"
            "BCFA3F04265A9857F91BE91FCE197096187CEDA78C9C1C021C294A0689198538",
        ),
    ],
)
def test_standard_vectors(bits: int, message: bytes, expected: str) -> None:
    assert kupyna(message, bits).hex().upper() == expected


def test_registry_by_oid_and_incremental_updates() -> None:
    for oid, bits in ((KUPYNA_256, 256), (KUPYNA_384, 384), (KUPYNA_512, 512)):
        assert hash_bytes(oid, SEQUENCE) == kupyna(SEQUENCE, bits)
    ctx = Kupyna(256)
    for piece in (SEQUENCE[:1], SEQUENCE[1:64], SEQUENCE[64:65], SEQUENCE[65:]):
        ctx.update(piece)
    assert ctx.hexdigest() == kupyna(SEQUENCE).hex()
    assert hash_bytes("kupyna256", b"") == kupyna(b"")


def test_sboxes_are_permutations_and_sizes_are_checked() -> None:
    assert all(sorted(box) == list(range(256)) for box in SBOXES)
    with pytest.raises(ValueError, match="Kupyna-128 is not one of"):
        Kupyna(128)
