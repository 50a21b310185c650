"""RSA and ECDSA signatures verified directly give certvalidator's default validator's answers.

:class:`docex.signatures.signature_validator.DocexSignatureValidator` verifies PKCS#1 v1.5
and ECDSA signatures of the common encodings itself (a key loaded once per encoding) rather
than through certvalidator's ``_validate_raw``, which reads the algorithm and loads the key
on every call. Here each kind of signature, good and one bit off, gets the same answer from
both, and what the direct path does not handle still goes to certvalidator.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asn1crypto import algos, keys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko_certvalidator.sig_validate import DefaultSignatureValidator

from docex.devpki.dstu_pki import ISSUING_CA_DSTU, DstuPki
from docex.signatures.signature_validator import (
    SIGNATURE_VALIDATOR,
    DocexSignatureValidator,
    _loaded_key,
    _verify_directly,
)

DATA = b"tbsResponseData, say" * 40

_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_EC_KEYS = {
    "p256": ec.generate_private_key(ec.SECP256R1()),
    "p384": ec.generate_private_key(ec.SECP384R1()),
}

Signer = Callable[[bytes], bytes]


def _spki(private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> keys.PublicKeyInfo:
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return keys.PublicKeyInfo.load(der)


def _rsa_signer(digest: type[hashes.HashAlgorithm]) -> Signer:
    def sign(data: bytes) -> bytes:
        return _RSA_KEY.sign(data, padding.PKCS1v15(), digest())

    return sign


def _ec_signer(key: ec.EllipticCurvePrivateKey, digest: type[hashes.HashAlgorithm]) -> Signer:
    def sign(data: bytes) -> bytes:
        return key.sign(data, ec.ECDSA(digest()))

    return sign


CASES: list[tuple[str, str, Signer, keys.PublicKeyInfo]] = []
for _name, _hash in (
    ("sha256", hashes.SHA256),
    ("sha384", hashes.SHA384),
    ("sha512", hashes.SHA512),
):
    CASES.append((f"{_name}_rsa", f"rsa-{_name}", _rsa_signer(_hash), _spki(_RSA_KEY)))
    for _curve, _key in _EC_KEYS.items():
        CASES.append((f"{_name}_ecdsa", f"{_curve}-{_name}", _ec_signer(_key, _hash), _spki(_key)))


def _algorithm(name: str, *, null_parameters: bool = False) -> algos.SignedDigestAlgorithm:
    value: dict[str, object] = {"algorithm": name}
    if null_parameters:
        value["parameters"] = None
    algorithm = algos.SignedDigestAlgorithm(value)
    # As read from a structure: loaded from its encoding.
    return algos.SignedDigestAlgorithm.load(algorithm.dump())


def _default_answer(
    signature: bytes, key: keys.PublicKeyInfo, algorithm: algos.SignedDigestAlgorithm
) -> str:
    try:
        DefaultSignatureValidator().validate_signature(signature, DATA, key, algorithm)
    except InvalidSignature:
        return "invalid"
    return "valid"


def _docex_answer(
    signature: bytes, key: keys.PublicKeyInfo, algorithm: algos.SignedDigestAlgorithm
) -> str:
    try:
        SIGNATURE_VALIDATOR.validate_signature(signature, DATA, key, algorithm)
    except InvalidSignature:
        return "invalid"
    return "valid"


@pytest.mark.parametrize(
    ("algorithm", "signer", "key"), [(c[0], c[2], c[3]) for c in CASES], ids=[c[1] for c in CASES]
)
def test_direct_verification_answers_as_certvalidator_does(
    algorithm: str, signer: Signer, key: keys.PublicKeyInfo
) -> None:
    good = signer(DATA)
    flipped = bytearray(good)
    flipped[len(flipped) // 2] ^= 0x01
    encodings = [_algorithm(algorithm)]
    if algorithm.endswith("_rsa"):
        encodings.append(_algorithm(algorithm, null_parameters=True))
    for encoding in encodings:
        # The direct path handles it (not handing it on), and says what certvalidator says.
        assert _verify_directly(good, DATA, key.dump(), encoding.dump()) is True
        with pytest.raises(InvalidSignature):
            _verify_directly(bytes(flipped), DATA, key.dump(), encoding.dump())
        for signature, expected in ((good, "valid"), (bytes(flipped), "invalid")):
            assert _default_answer(signature, key, encoding) == expected
            assert _docex_answer(signature, key, encoding) == expected


def test_a_key_of_another_kind_is_left_to_certvalidator() -> None:
    rsa_key = _spki(_RSA_KEY)
    ec_key = _spki(_EC_KEYS["p256"])
    signature = _RSA_KEY.sign(DATA, padding.PKCS1v15(), hashes.SHA256())
    ecdsa = _algorithm("sha256_ecdsa")
    # An RSA key with an ECDSA algorithm, an EC key with an RSA one: not handled here.
    assert _verify_directly(signature, DATA, rsa_key.dump(), ecdsa.dump()) is False
    assert _verify_directly(signature, DATA, ec_key.dump(), _algorithm("sha256_rsa").dump()) is (
        False
    )
    # certvalidator refuses the pair (its assertion on the key type, or the verification).
    with pytest.raises((InvalidSignature, AssertionError)):
        SIGNATURE_VALIDATOR.validate_signature(signature, DATA, rsa_key, ecdsa)


def test_a_dstu_key_with_an_rsa_algorithm_is_still_refused() -> None:
    dstu_key = DstuPki.load().cert(ISSUING_CA_DSTU).public_key
    signature = _RSA_KEY.sign(DATA, padding.PKCS1v15(), hashes.SHA256())
    rsa_algorithm = _algorithm("sha256_rsa")
    assert _verify_directly(signature, DATA, dstu_key.dump(), rsa_algorithm.dump()) is False
    with pytest.raises(InvalidSignature, match="DSTU"):
        SIGNATURE_VALIDATOR.validate_signature(signature, DATA, dstu_key, rsa_algorithm)


def test_pss_and_other_algorithms_are_left_to_certvalidator() -> None:
    signature = _RSA_KEY.sign(
        DATA,
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )
    pss = algos.SignedDigestAlgorithm(
        {
            "algorithm": "rsassa_pss",
            "parameters": {
                "hash_algorithm": {"algorithm": "sha256"},
                "mask_gen_algorithm": {
                    "algorithm": "mgf1",
                    "parameters": {"algorithm": "sha256"},
                },
                "salt_length": 32,
            },
        }
    )
    key = _spki(_RSA_KEY)
    assert _verify_directly(signature, DATA, key.dump(), pss.dump()) is False
    SIGNATURE_VALIDATOR.validate_signature(signature, DATA, key, pss)  # certvalidator's
    assert _docex_answer(signature, key, pss) == "valid"


def test_a_validator_with_another_default_does_not_take_the_direct_path() -> None:
    class Refusing(DefaultSignatureValidator):
        def validate_signature(self, *args: object, **kwargs: object) -> None:
            raise InvalidSignature("refused by the configured default")

    key = _spki(_RSA_KEY)
    signature = _RSA_KEY.sign(DATA, padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature, match="configured default"):
        DocexSignatureValidator(Refusing()).validate_signature(
            signature, DATA, key, _algorithm("sha256_rsa")
        )


def test_loaded_keys_are_bounded() -> None:
    assert _loaded_key.cache_info().maxsize is not None
