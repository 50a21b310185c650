"""Checkpoints of the audit chains' heads, kept outside the database.

A hash chain alone cannot show that its newest entries were removed: the shorter chain is
still consistent, and an empty log is trivially so. A checkpoint records, at one moment,
for every chain of the log (:mod:`docex.audit.shards`), how many entries it had
(``count``) and the hash of the last of them (``head_hash``), and the Merkle root over
those positions (:mod:`docex.audit.merkle`). It is signed with a docex key and
time-stamped by an RFC 3161 TSA, and it is written to the object store under
:data:`CHECKPOINT_PREFIX`, never to the database an attacker would edit. Later, every
chain must still have at least its ``count`` entries, and its entry number ``count`` must
still carry its ``head_hash``.

The signed payload is the canonical JSON (see :func:`docex.audit.chain.canonical_json`)
of::

    format      "docex-audit-checkpoint/2"
    chains      one object per chain of the log, in chain order 0, 1, ..., N-1:
                  chain      integer, the chain number
                  count      integer, entries in the chain when the checkpoint was taken
                  head_hash  64 lowercase hex, the hash of entry number ``count`` of the
                             chain (the chain's genesis hash if ``count`` is 0)
                  last_id    integer or null, the id of that entry (for people)
    root        64 lowercase hex, the RFC 6962 Merkle root over the chains' leaves
                (:func:`docex.audit.merkle.chain_leaf`), in chain order
    count       integer, the sum of the chains' counts (for people)
    created_at  UTC, ISO 8601 with microseconds, as ``created_at`` in the chain
    key_id      lowercase hex SHA-256 of the signing key's DER SubjectPublicKeyInfo

A checkpoint of format ``docex-audit-checkpoint/1``, taken while the log was one chain
(members ``count``, ``head_hash``, ``last_id`` of that chain), is still read and checked:
entries written then are chain 0, so it is read as a checkpoint of chain 0 alone.

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

from docex.audit.chain import canonical_json, format_time
from docex.audit.merkle import chain_leaf, merkle_root
from docex.audit.shards import chain_genesis
from docex.audit.verify import ChainHead
from docex.errors import InputError

CHECKPOINT_FORMAT = "docex-audit-checkpoint/2"
"""The format of the checkpoints docex takes."""
CHECKPOINT_FORMAT_V1 = "docex-audit-checkpoint/1"
"""The single-chain format, still read and checked."""
_FORMATS = (CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_V1)
CHECKPOINT_PREFIX = "checkpoints/audit/"
"""Where checkpoint objects live in the object store; nothing else is written there."""

CONTENT_TYPE = "application/json"

_HEX64 = re.compile(r"[0-9a-f]{64}")

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class CheckpointError(InputError):
    """A checkpoint object that cannot be read, or a key docex cannot sign checkpoints with."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainPosition:
    """One chain's position in a checkpoint."""

    chain: int
    count: int
    head_hash: str
    last_id: int | None

    def leaf(self) -> bytes:
        """This position's leaf in the checkpoint's Merkle tree."""
        return chain_leaf(self.chain, self.count, self.head_hash)


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkpoint:
    """Every chain's head at one moment: what the signature covers."""

    chains: tuple[ChainPosition, ...]
    """Every chain of the log, in chain order."""
    created_at: datetime
    key_id: str
    format: str = CHECKPOINT_FORMAT
    """:data:`CHECKPOINT_FORMAT`, or :data:`CHECKPOINT_FORMAT_V1` for one read from an
    older checkpoint (whose ``chains`` is chain 0 alone)."""

    @property
    def count(self) -> int:
        """Entries in the whole log when the checkpoint was taken."""
        return sum(position.count for position in self.chains)

    @property
    def root(self) -> str:
        """The Merkle root over the chains' positions, hex."""
        return merkle_root([position.leaf() for position in self.chains]).hex()

    @property
    def last_id(self) -> int | None:
        """The highest entry id the checkpoint covers (``None`` for an empty log)."""
        ids = [position.last_id for position in self.chains if position.last_id is not None]
        return max(ids, default=None)

    def heads(self) -> dict[int, ChainHead]:
        """Each chain's ``(count, head_hash)``, as :func:`docex.audit.verify.check_entries`
        takes them."""
        return {p.chain: ChainHead(p.count, p.head_hash) for p in self.chains}

    def payload(self) -> bytes:
        """The canonical JSON bytes that are signed."""
        common = {"created_at": format_time(self.created_at), "key_id": self.key_id}
        if self.format == CHECKPOINT_FORMAT_V1:
            (only,) = self.chains
            return canonical_json(
                {
                    "format": CHECKPOINT_FORMAT_V1,
                    "count": only.count,
                    "head_hash": only.head_hash,
                    "last_id": only.last_id,
                    **common,
                }
            )
        return canonical_json(
            {
                "format": CHECKPOINT_FORMAT,
                "chains": [
                    {
                        "chain": p.chain,
                        "count": p.count,
                        "head_hash": p.head_hash,
                        "last_id": p.last_id,
                    }
                    for p in self.chains
                ],
                "root": self.root,
                "count": self.count,
                **common,
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
                "format": self.checkpoint.format,
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
        if not isinstance(outer, dict) or outer.get("format") not in _FORMATS:
            raise ValueError("not a docex audit checkpoint")
        payload = base64.b64decode(outer["payload"], validate=True)
        signature = base64.b64decode(outer["signature"], validate=True)
        token = base64.b64decode(outer["timestamp_token"], validate=True)
        inner = json.loads(payload)
        checkpoint = _checkpoint_from(inner)
        if checkpoint.format != outer["format"]:
            raise ValueError("its payload is of another format than the object")
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise CheckpointError(f"checkpoint {key} is unreadable: {exc}") from None
    if checkpoint.payload() != payload:
        # The payload must be canonical, so that its meaning is exactly what was signed.
        raise CheckpointError(f"checkpoint {key} is unreadable: its payload is not canonical")
    return SignedCheckpoint(
        checkpoint=checkpoint, payload=payload, signature=signature, timestamp_token=token
    )


def _checkpoint_from(inner: Any) -> Checkpoint:
    if not isinstance(inner, dict) or inner.get("format") not in _FORMATS:
        raise ValueError("payload is not a docex audit checkpoint")
    created_at = datetime.fromisoformat(inner["created_at"])
    if created_at.tzinfo is None:
        raise ValueError("created_at has no offset")
    key = inner["key_id"]
    if not isinstance(key, str) or not _HEX64.fullmatch(key):
        raise ValueError("key_id is not 64 lowercase hex digits")
    if inner["format"] == CHECKPOINT_FORMAT_V1:
        only = _position(0, inner)
        return Checkpoint(
            chains=(only,), created_at=created_at, key_id=key, format=CHECKPOINT_FORMAT_V1
        )
    listed = inner["chains"]
    if not isinstance(listed, list) or not listed:
        raise ValueError("chains is not a non-empty list")
    positions = tuple(_position(number, item) for number, item in enumerate(listed))
    checkpoint = Checkpoint(chains=positions, created_at=created_at, key_id=key)
    if inner["root"] != checkpoint.root:
        raise ValueError("root is not the Merkle root of the chains listed")
    if inner["count"] != checkpoint.count:
        raise ValueError("count is not the sum of the chains' counts")
    return checkpoint


def _position(chain: int, item: Any) -> ChainPosition:
    """Chain ``chain``'s position from a v2 ``chains`` item or a whole v1 payload."""
    if not isinstance(item, dict):
        raise ValueError(f"chain {chain} is not an object")
    if item.get("chain", chain) != chain:
        raise ValueError(f"chains are not listed in order at {chain}")
    count, head, last_id = item["count"], item["head_hash"], item["last_id"]
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValueError(f"chain {chain}: count is not a non-negative integer")
    if not isinstance(head, str) or not _HEX64.fullmatch(head):
        raise ValueError(f"chain {chain}: head_hash is not 64 lowercase hex digits")
    if count == 0 and head != chain_genesis(chain):
        raise ValueError(f"chain {chain}: an empty chain's head is its genesis hash")
    if last_id is not None and (not isinstance(last_id, int) or isinstance(last_id, bool)):
        raise ValueError(f"chain {chain}: last_id is not an integer")
    return ChainPosition(chain=chain, count=count, head_hash=head, last_id=last_id)
