"""GOST 34.311-95 against the standard's Annex A and the gost89 (dstucrypt) vectors."""

from __future__ import annotations

import random

import pytest

from docex.signatures.dstu.digests import hash_bytes, new_digest
from docex.signatures.dstu.gost34311 import (
    ACCELERATOR,
    DEFAULT_DKE,
    DEFAULT_SBOX_ROWS,
    Gost34311,
    _key_words,
    _mix,
    _mix_by_recurrence,
    _p,
    _psi,
    compress_sbox,
    expand_dke,
    gost34311,
)

# The test S-box of GOST 34.311-95 Annex A (GOST R 34.11-94's test parameters), K1..K8.
ANNEX_A_ROWS = (
    "4 10 9 2 13 8 0 14 6 11 1 12 7 15 5 3",
    "14 11 4 12 6 13 15 10 2 3 8 1 0 7 5 9",
    "5 8 1 13 10 3 4 2 14 15 12 7 6 0 9 11",
    "7 13 10 1 0 8 9 15 14 4 6 12 11 2 5 3",
    "6 12 7 1 5 15 13 8 4 10 9 14 0 3 11 2",
    "4 11 10 0 7 2 1 13 3 6 8 5 9 12 15 14",
    "13 11 4 1 3 15 5 9 0 10 14 7 6 8 2 12",
    "1 15 13 0 5 7 10 4 9 2 3 14 6 11 8 12",
)
# Our rows run from the top nibble down: K8 first.
# The C block compression where it was built, and the pure-Python reference always.
IMPLEMENTATIONS = [False, True] if ACCELERATOR is not None else [False]

ANNEX_A_DKE = compress_sbox(
    tuple(bytes(int(v) for v in row.split()) for row in reversed(ANNEX_A_ROWS))
)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # Annex A.3.1 and A.3.2 (as UAPKI's gost34311_self_test has them, byte order of H).
        (
            b"This is message, length=32 bytes",
            "b1c466d37519b82e8319819ff32595e047a28cb6f83eff1c6916a815a637fffa",
        ),
        (
            b"Suppose the original message has length = 50 bytes",
            "471aba57a60a770d3a76130635c1fbea4ef14de51f78b4ae57dd893b62f55208",
        ),
        (b"", "ce85b99cc46752fffee35cab9a7b0278abb4c2d2055cff685af4912c49490f8d"),
    ],
)
@pytest.mark.parametrize("accelerated", IMPLEMENTATIONS)
def test_annex_a(message: bytes, expected: str, accelerated: bool) -> None:
    assert gost34311(message, sbox=ANNEX_A_DKE, accelerated=accelerated).hex() == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # dstucrypt/gost89 test/test-hash.js, DKE №1.
        (
            b"12345678901234567890123456789011",
            "7686f3f4b113aadc97bca9ea054f41821f0676c5c28ffb987e41797a568e1ed4",
        ),
        (bytes(range(32)), "811cb06a8ee423182d9cc9d281f783908f4cfbaf47a68be8415d3499674a3063"),
        (b"123123", "34d4da2c04e9c1ceb933282069c864617d94ed7cc5c0a9840c0c1a99629df637"),
        (
            b"IGNORE THIS FILE. This file does nothing, contains no useful data, and might go"
            b" away in future releases.  Do not depend on this file or its contents.",
            "e9312d13d0e0d39aa4a00c77dcfb661883dd0ed8218af48a146168fc60f014dc",
        ),
    ],
)
@pytest.mark.parametrize("accelerated", IMPLEMENTATIONS)
def test_gost89_vectors(message: bytes, expected: str, accelerated: bool) -> None:
    assert gost34311(message, accelerated=accelerated).hex() == expected
    assert hash_bytes("1.2.804.2.1.1.1.1.2.1", message).hex() == expected
    assert hash_bytes("gost34311", message, sbox=DEFAULT_DKE).hex() == expected


@pytest.mark.parametrize("accelerated", IMPLEMENTATIONS)
def test_incremental_updates_match_one_shot(accelerated: bool) -> None:
    whole = bytes(range(256)) * 3
    ctx = Gost34311(accelerated=accelerated)
    offset = 0
    # Pieces shorter than, equal to and longer than a block, across block boundaries.
    for size in (1, 31, 32, 33, 64, 5, 100):
        ctx.update(whole[offset : offset + size])
        offset += size
    ctx.update(whole[offset:])
    assert ctx.digest() == gost34311(whole)
    copy = ctx.copy()
    copy.update(b"x")
    assert ctx.digest() == gost34311(whole)
    assert copy.digest() == gost34311(whole + b"x")
    assert ctx.hexdigest() == gost34311(whole).hex()
    assert new_digest("gost34311", b"123").digest() == gost34311(b"123")


def test_default_dke_is_the_compressed_form_certificates_carry() -> None:
    # The DKE octets of every DSTU 4145 key in tests/data/ua (and of jkurwa's SELF_SIGNED1).
    assert DEFAULT_DKE.hex() == (
        "a9d6eb45f13c708280c4967b231f5eadf658eba4c037291d38d96bf025ca4e17"
        "f8e9720dc615b43a28975f0bc1dea36438b564ea2c179fd0123e6db8fac57904"
    )
    assert expand_dke(DEFAULT_DKE) == DEFAULT_SBOX_ROWS


def test_malformed_sboxes_are_refused() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        expand_dke(bytes(63))
    with pytest.raises(ValueError, match="not a permutation"):
        expand_dke(bytes(64))


def test_unknown_digest_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported digest algorithm sha256"):
        new_digest("sha256")


def test_fast_internals_match_their_references() -> None:
    # The table mixing, the word-recurrence mixing and the sliced key permutation against
    # the definitions, on structured values and on pseudo-random ones (every byte value
    # at every position of the tables is exercised many times over 300 triples).
    h, m, s = (int.from_bytes(bytes(range(i, i + 32)), "little") for i in (1, 50, 99))
    assert _mix(h, m, s) == _psi(h ^ _psi(m ^ _psi(s, 12), 1), 61)
    assert _mix_by_recurrence(h, m, s) == _psi(h ^ _psi(m ^ _psi(s, 12), 1), 61)
    rng = random.Random(34311)  # noqa: S311 -- reproducible test inputs, not secrets
    for _ in range(300):
        h, m, s = (rng.getrandbits(256) for _ in range(3))
        assert _mix(h, m, s) == _psi(h ^ _psi(m ^ _psi(s, 12), 1), 61)
    assert _mix(0, 0, 0) == 0
    ones = (1 << 256) - 1
    assert _mix(ones, ones, ones) == _psi(ones ^ _psi(ones ^ _psi(ones, 12), 1), 61)
    key = _key_words(s)
    assert b"".join(w.to_bytes(4, "little") for w in key) == _p(s)


def test_the_extension_is_built_where_make_install_ran() -> None:
    # `make install` builds it (a C compiler is part of the development machine); a build
    # that silently lost it would leave every DSTU verification 300 times slower.
    assert ACCELERATOR is not None


def test_the_extension_agrees_with_the_reference_on_every_length_and_s_box() -> None:
    assert ACCELERATOR is not None
    rng = random.Random(7564)  # noqa: S311 -- reproducible test inputs, not secrets
    for length in [*range(0, 70), 1000, 4096 + 17]:
        data = rng.randbytes(length)
        for sbox in (None, ANNEX_A_DKE):
            assert gost34311(data, sbox=sbox) == gost34311(data, sbox=sbox, accelerated=False)
    ctx, reference = Gost34311(), Gost34311(accelerated=False)
    for size in (5, 27, 32, 64, 1, 100):
        piece = rng.randbytes(size)
        ctx.update(piece)
        reference.update(piece)
        assert ctx.digest() == reference.digest()


def test_the_extension_refuses_malformed_arguments() -> None:
    assert ACCELERATOR is not None
    with pytest.raises(ValueError, match="round tables must be 4096 bytes"):
        ACCELERATOR.blocks(b"", bytes(32), bytes(32), b"")
    tables = bytes(4096)
    with pytest.raises(ValueError, match="whole blocks"):
        ACCELERATOR.blocks(tables, bytes(32), bytes(32), bytes(31))
    with pytest.raises(ValueError, match="whole blocks"):
        ACCELERATOR.blocks(tables, bytes(31), bytes(32), b"")
