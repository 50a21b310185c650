"""Generate the development PKI's key files, once.  DEVELOPMENT ONLY.

certomancer reads keys from files and never generates them, so the keys that back
``dev-pki.yml`` were made by this script and committed next to it. Committed keys are
what make the certificates reproducible: regenerating ``certs-dev/`` with the same
keys yields the same certificates.

Run ``python -m docex.devpki._make_keys`` only to add a key for a new label; existing
key files are never overwritten (that would change every certificate they back).
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

KEY_DIR = Path(__file__).parent / "keys"

# RSA for every key that signs certificates, CRLs, OCSP responses or time-stamps:
# RSA PKCS#1 v1.5 signatures are deterministic, so the committed certificates and CRLs
# come out byte-identical on every regeneration. pyHanko's DummyTimeStamper is also
# RSA-only. End entities use the key type their label promises.
RSA_KEYS = ("root-ca", "issuing-ca", "issuing-ca-ocsp", "tsa", "untrusted-root", "doctor-rsa")
EC_P256_KEYS = (
    "doctor-ecdsa",
    "doctor2-ecdsa",
    "facility-seal",
    "nonqualified",
    "no-qscd",
    "no-nonrep",
    "revoked",
    "expired",
    "untrusted",
)


def _write(label: str, key: PrivateKeyTypes) -> None:
    path = KEY_DIR / f"{label}.key.pem"
    if path.exists():
        return
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)
    print(f"wrote {path}")


def main() -> None:
    KEY_DIR.mkdir(exist_ok=True)
    for label in RSA_KEYS:
        _write(label, rsa.generate_private_key(public_exponent=65537, key_size=2048))
    for label in EC_P256_KEYS:
        _write(label, ec.generate_private_key(ec.SECP256R1()))
    _write_dstu_keys()


def _write_dstu_keys() -> None:
    # The DSTU 4145 branch (docex.devpki.dstu_pki): the root and one doctor on m=431, the
    # rest on m=257.
    from docex.devpki.dstu_pki import DOCTOR_DSTU_431, DSTU_LABELS, ROOT_CA_DSTU
    from docex.devpki.dstu_signing import CURVE_M257, CURVE_M431, DstuPrivateKey

    folder = KEY_DIR / "dstu"
    folder.mkdir(exist_ok=True)
    for label in DSTU_LABELS:
        path = folder / f"{label}.key.pem"
        if path.exists():
            continue
        curve = CURVE_M431 if label in (ROOT_CA_DSTU, DOCTOR_DSTU_431) else CURVE_M257
        path.write_bytes(DstuPrivateKey.generate(curve).to_pem())
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
