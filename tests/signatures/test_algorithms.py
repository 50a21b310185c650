"""The algorithm allow-list, on keys made with cryptography."""

from __future__ import annotations

import pytest
from asn1crypto import keys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

from docex.signatures.algorithms import check_public_key


def _info(public_key: object) -> keys.PublicKeyInfo:
    der = public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return keys.PublicKeyInfo.load(der)


@pytest.mark.parametrize(
    ("key", "acceptable", "message"),
    [
        (rsa.generate_private_key(65537, 2048).public_key(), True, "RSA-2048"),
        # A weak key on purpose: the policy must refuse it.
        (rsa.generate_private_key(65537, 1024).public_key(), False, "below 2048"),  # noqa: S505
        (ec.generate_private_key(ec.SECP256R1()).public_key(), True, "secp256r1"),
        (ec.generate_private_key(ec.SECP384R1()).public_key(), True, "secp384r1"),
        (ec.generate_private_key(ec.SECP256K1()).public_key(), False, "not allowed"),
        (ed25519.Ed25519PrivateKey.generate().public_key(), True, "ed25519"),
        (dsa.generate_private_key(2048).public_key(), False, "not supported"),
    ],
)
def test_public_key_policy(key: object, acceptable: bool, message: str) -> None:
    verdict = check_public_key(_info(key))
    assert verdict.acceptable is acceptable
    assert message in verdict.message
