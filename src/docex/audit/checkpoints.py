"""Checkpoints of the audit chain's head, kept outside the database.

A hash chain alone cannot show that its newest entries were removed: the shorter chain is
still consistent, and an empty log is trivially so. A checkpoint records, at one moment,
how many entries the chain had (``count``) and the hash of the last of them
(``head_hash``). It is signed with a docex key and time-stamped by an RFC 3161 TSA, and it
is written to the object store under :data:`CHECKPOINT_PREFIX`, never to the database an
attacker would edit. Later, the chain must still have at least ``count`` entries, and its
entry number ``count`` must still carry ``head_hash``.

The signed payload is the canonical JSON (see :func:`docex.audit.chain.canonical_json`)
of::

    format      "docex-audit-checkpoint/1"
    count       integer, entries in the chain when the checkpoint was taken
    head_hash   64 lowercase hex, the hash of entry number ``count`` (GENESIS_HASH if 0)
    last_id     integer or null, the id of that entry (for people; ids are not hashed)
    created_at  UTC, ISO 8601 with microseconds, as ``created_at`` in the chain
    key_id      lowercase hex SHA-256 of the signing key's DER SubjectPublicKeyInfo

The object holds the payload (base64), the signature over it (base64; ECDSA with SHA-256
or RSA PKCS#1 v1.5 with SHA-256) and the time-stamp token (base64 DER ``ContentInfo``)
whose message imprint is the SHA-256 of the signature: the token proves the signed
checkpoint existed at the TSA's time.

This module has no network and no database: it builds, serialises, parses and checks
signatures. Fetching the time-stamp and validating the TSA is the service's work.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from docex.audit.chain import GENESIS_HASH, canonical_json, format_time
from docex.errors import InputError

CHECKPOINT_FORMAT = "docex-audit-checkpoint/1"
CHECKPOINT_PREFIX = "checkpoints/audit/"
"""Where checkpoint objects live in the object store; nothing else is written there."""

CONTENT_TYPE = "application/json"

_HEX64 = re.compile(r"[0-9a-f]{64}")

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class CheckpointError(InputError):
    """A checkpoint object that cannot be read, or a key docex cannot sign checkpoints with."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkpoint:
    """The chain head at one moment: what the signature covers."""

    count: int
    head_hash: str
    last_id: int | None
    created_at: datetime
    key_id: str

    def payload(self) -> bytes:
        """The canonical JSON bytes that are signed."""
        return canonical_json(
            {
                "format": CHECKPOINT_FORMAT,
                "count": self.count,
                "head_hash": self.head_hash,
                "last_id": self.last_id,
                "created_at": format_time(self.created_at),
                "key_id": self.key_id,
            }
        )

    @property
    def object_key(self) -> str:
        """The object key: time first, so that keys sort in the order they were taken.

        The count is part of the key too, so two checkpoints in one microsecond with
        different heads cannot collide (the store refuses to overwrite anyway).
        """
        moment = self.created_at.strftime("%Y%m%dT%H%M%S.%fZ")
        return f"{CHECKPOINT_PREFIX}{moment}-{self.count:012d}.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedCheckpoint:
    """A checkpoint with its docex signature and the TSA's time-stamp token."""

    checkpoint: Checkpoint
    payload: bytes
    """The exact bytes signed (kept as read, so that checking never re-serialises)."""
    signature: bytes
    timestamp_token: bytes
    """DER ``ContentInfo`` of the RFC 3161 token over SHA-256(``signature``)."""

    def to_bytes(self) -> bytes:
        """The stored object: canonical JSON with base64 members."""
        return canonical_json(
            {
                "format": CHECKPOINT_FORMAT,
                "payload": base64.b64encode(self.payload).decode("ascii"),
                "signature": base64.b64encode(self.signature).decode("ascii"),
                "timestamp_token": base64.b64encode(self.timestamp_token).decode("ascii"),
            }
        )


def key_id(public_key: PublicKey) -> str:
    """The SHA-256 of the key's DER SubjectPublicKeyInfo, hex: names the key in a checkpoint."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def load_private_key(pem: bytes) -> PrivateKey:
    """An unencrypted PEM private key (EC or RSA) to sign checkpoints with."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"cannot read the audit checkpoint key: {exc}") from None
    if not isinstance(key, PrivateKey):
        raise CheckpointError("the audit checkpoint key must be an EC or RSA key")
    return key


def load_public_key(pem: bytes) -> PublicKey:
    """A PEM public key, or the public half of a PEM private key or certificate."""
    from cryptography import x509

    if b"PRIVATE KEY" in pem:
        return load_private_key(pem).public_key()
    public: object
    try:
        if b"CERTIFICATE" in pem:
            public = x509.load_pem_x509_certificate(pem).public_key()
        else:
            public = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise CheckpointError(f"cannot read the audit checkpoint public key: {exc}") from None
    if not isinstance(public, PublicKey):
        raise CheckpointError("the audit checkpoint key must be an EC or RSA key")
    return public


def sign_payload(key: PrivateKey, payload: bytes) -> bytes:
    """Sign ``payload`` with SHA-256 (ECDSA, or RSA PKCS#1 v1.5)."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(payload, ec.ECDSA(hashes.SHA256()))
    return key.sign(payload, padding.PKCS1v15(), hashes.SHA256())


def signature_valid(public_key: PublicKey, payload: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``public_key``'s signature over ``payload``."""
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
        else:
            public_key.verify(signature, payload, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def parse_signed_checkpoint(data: bytes, *, key: str) -> SignedCheckpoint:
    """Read a stored checkpoint object; ``CheckpointError`` if it is not one.

    ``key`` names the object in error messages.
    """
    try:
        outer = json.loads(data)
        if not isinstance(outer, dict) or outer.get("format") != CHECKPOINT_FORMAT:
            raise ValueError("not a docex audit checkpoint")
        payload = base64.b64decode(outer["payload"], validate=True)
        signature = base64.b64decode(outer["signature"], validate=True)
        token = base64.b64decode(outer["timestamp_token"], validate=True)
        inner = json.loads(payload)
        checkpoint = _checkpoint_from(inner)
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise CheckpointError(f"checkpoint {key} is unreadable: {exc}") from None
    if checkpoint.payload() != payload:
        # The payload must be canonical, so that its meaning is exactly what was signed.
        raise CheckpointError(f"checkpoint {key} is unreadable: its payload is not canonical")
    return SignedCheckpoint(
        checkpoint=checkpoint, payload=payload, signature=signature, timestamp_token=token
    )


def _checkpoint_from(inner: Any) -> Checkpoint:
    if not isinstance(inner, dict) or inner.get("format") != CHECKPOINT_FORMAT:
        raise ValueError("payload is not a docex audit checkpoint")
    count, head, last_id = inner["count"], inner["head_hash"], inner["last_id"]
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValueError("count is not a non-negative integer")
    if not isinstance(head, str) or not _HEX64.fullmatch(head):
        raise ValueError("head_hash is not 64 lowercase hex digits")
    if count == 0 and head != GENESIS_HASH:
        raise ValueError("an empty chain's head is the genesis hash")
    if last_id is not None and (not isinstance(last_id, int) or isinstance(last_id, bool)):
        raise ValueError("last_id is not an integer")
    created_at = datetime.fromisoformat(inner["created_at"])
    if created_at.tzinfo is None:
        raise ValueError("created_at has no offset")
    key = inner["key_id"]
    if not isinstance(key, str) or not _HEX64.fullmatch(key):
        raise ValueError("key_id is not 64 lowercase hex digits")
    return Checkpoint(
        count=count, head_hash=head, last_id=last_id, created_at=created_at, key_id=key
    )
