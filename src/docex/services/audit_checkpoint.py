"""Anchoring the audit chains: take signed, time-stamped checkpoints; verify against them.

``take_checkpoint`` reads every chain's head, signs them and their Merkle root with the
docex checkpoint key, has an RFC 3161 TSA time-stamp the signature and writes the result
to the object store under ``checkpoints/audit/``; the store never overwrites an object.
``verify_with_checkpoint`` checks every chain against its position in the latest
checkpoint after checking that checkpoint's own signature and time-stamp, so that a
forged checkpoint cannot vouch for a shortened chain.

Taking a checkpoint writes nothing to the audit log: the checkpoint is about the log,
and an entry for it would move the head it just recorded.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from asn1crypto import algos, cms, core, tsp
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from docex.audit.checkpoints import (
    CHECKPOINT_PREFIX,
    CONTENT_TYPE,
    ChainPosition,
    Checkpoint,
    CheckpointError,
    PrivateKey,
    PublicKey,
    SignedCheckpoint,
    key_id,
    load_private_key,
    load_public_key,
    parse_signed_checkpoint,
    sign_payload,
    signature_valid,
)
from docex.audit.log import configured_chains
from docex.audit.shards import chain_genesis
from docex.audit.verify import ChainHead, LogVerdict, verify_chain
from docex.clock import utcnow
from docex.db.audit import AuditChainConfig, AuditEntry
from docex.db.engine import unit_of_work
from docex.errors import DocexError, SettingsError
from docex.storage.base import ObjectStore, StoredObject

if TYPE_CHECKING:
    from docex.outbound.policy import OutboundPolicy
    from docex.settings import Settings
    from docex.signatures.trust import TrustStore

# A TSA answers in well under a second; past this it is down, and the next run retries.
DEFAULT_TSA_TIMEOUT_SECONDS = 10.0
# Time-stamp responses are a few kilobytes; anything far larger is not one.
MAX_TSA_RESPONSE_BYTES = 256 * 1024


@runtime_checkable
class RetainingStore(Protocol):
    """A store that can put an object under a retention lock (S3 Object Lock)."""

    def put_retained(
        self, key: str, data: bytes, *, content_type: str, retain_until: datetime
    ) -> StoredObject:
        """Store ``data`` under ``key``, undeletable until ``retain_until``."""
        ...


class TimestampAuthorityError(DocexError):
    """The TSA could not be reached or did not grant a usable time-stamp."""

    code = "timestamp-authority"


@dataclass(frozen=True, slots=True, kw_only=True)
class AnchoredVerdict:
    """The chains checked against the latest checkpoint, and that checkpoint's own checks."""

    chain: LogVerdict
    checkpoint: Checkpoint | None
    """The latest checkpoint; ``None`` if none was ever taken."""
    checkpoint_key: str | None
    """Its object key (``None`` also when the newest object could not be read)."""
    checkpoint_problem: str | None
    """Why the checkpoint itself cannot be relied on (bad signature, bad time-stamp)."""
    timestamp_time: datetime | None
    """The time the TSA vouches for, once its token validated."""

    @property
    def ok(self) -> bool:
        """The checkpoint (if any) is authentic and the chain agrees with it."""
        return self.chain.ok and self.checkpoint_problem is None


def read_chain_heads(session: Session) -> tuple[ChainPosition, ...]:
    """Every chain's position as ``session`` sees it, chains ``0 .. N-1``.

    ``N`` is the number recorded by the first append, or the session's configured number
    while the log has none recorded (a log with no entries yet, or only entries from
    before it had several chains, all in chain 0). Appends to a chain take its lock and
    commit before releasing it, so the entries of a chain visible in one snapshot are a
    prefix of it: counting them gives the position. One statement reads every chain's
    count and newest id, so all positions are of the same moment.
    """
    table = AuditEntry.__table__
    stored = session.scalar(select(AuditChainConfig.chains))
    chains = stored if stored is not None else configured_chains(session)
    rows = session.execute(
        select(table.c.chain, func.count(), func.max(table.c.id)).group_by(table.c.chain)
    ).all()
    found = {int(chain): (int(count), int(last_id)) for chain, count, last_id in rows}
    hashes: dict[int, str] = {}
    if found:
        ids = [last_id for _, last_id in found.values()]
        hashes = {
            int(ident): str(hash_)
            for ident, hash_ in session.execute(
                select(table.c.id, table.c.hash).where(table.c.id.in_(ids))
            ).all()
        }
    # Entries in a chain beyond N would be left out of the checkpoint: include them, so
    # that they are at least anchored, and verification names them.
    count_chains = max([chains, *(chain + 1 for chain in found)])
    positions = []
    for chain in range(count_chains):
        if chain in found:
            count, last_id = found[chain]
            positions.append(
                ChainPosition(chain=chain, count=count, head_hash=hashes[last_id], last_id=last_id)
            )
        else:
            positions.append(
                ChainPosition(chain=chain, count=0, head_hash=chain_genesis(chain), last_id=None)
            )
    return tuple(positions)


def take_checkpoint(
    *,
    sessions: sessionmaker[Session],
    store: ObjectStore,
    key: PrivateKey,
    tsa_url: str,
    tsa_timeout: float = DEFAULT_TSA_TIMEOUT_SECONDS,
    retention_days: int = 0,
) -> tuple[str, SignedCheckpoint]:
    """Sign and time-stamp every chain's head and store them; return the object key and
    the checkpoint.

    With ``retention_days`` (``DOCEX_AUDIT_CHECKPOINT_RETENTION_DAYS``) the object is put
    with an S3 Object Lock COMPLIANCE retention of that many days, so that not even the
    bucket's owner can delete it sooner; that needs an S3 store whose bucket has object
    lock enabled (``SettingsError`` for another store, ``StorageError`` if the bucket
    refuses).
    """
    if retention_days < 0:
        raise ValueError("retention_days is not negative")
    if retention_days and not isinstance(store, RetainingStore):
        raise SettingsError(
            "DOCEX_AUDIT_CHECKPOINT_RETENTION_DAYS needs an S3 object store with object lock"
        )
    with unit_of_work(sessions) as session:
        positions = read_chain_heads(session)
    checkpoint = Checkpoint(
        chains=positions,
        created_at=utcnow(),
        key_id=key_id(key.public_key()),
    )
    payload = checkpoint.payload()
    signature = sign_payload(key, payload)
    token = fetch_timestamp(hashlib.sha256(signature).digest(), url=tsa_url, timeout=tsa_timeout)
    signed = SignedCheckpoint(
        checkpoint=checkpoint, payload=payload, signature=signature, timestamp_token=token
    )
    body = signed.to_bytes()
    if retention_days and isinstance(store, RetainingStore):
        store.put_retained(
            checkpoint.object_key,
            body,
            content_type=CONTENT_TYPE,
            retain_until=checkpoint.created_at + timedelta(days=retention_days),
        )
    else:
        store.put(
            checkpoint.object_key,
            io.BytesIO(body),
            length=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
            content_type=CONTENT_TYPE,
        )
    return checkpoint.object_key, signed


def fetch_timestamp(digest: bytes, *, url: str, timeout: float) -> bytes:
    """An RFC 3161 time-stamp token (DER ``ContentInfo``) over a SHA-256 ``digest``.

    The request carries a fresh nonce, and the response must echo it and cover
    ``digest``: a replayed or misdirected token is refused.
    """
    import httpx

    nonce = secrets.randbits(63)
    request = tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": {
                "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "hashed_message": digest,
            },
            "nonce": nonce,
            "cert_req": True,
        }
    )
    try:
        response = httpx.post(
            url,
            content=request.dump(),
            headers={"Content-Type": "application/timestamp-query"},
            timeout=timeout,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        raise TimestampAuthorityError(f"time-stamp authority {url} unreachable: {exc}") from None
    if response.status_code != 200:
        raise TimestampAuthorityError(f"time-stamp authority answered HTTP {response.status_code}")
    if len(response.content) > MAX_TSA_RESPONSE_BYTES:
        raise TimestampAuthorityError("time-stamp authority response is too large")
    try:
        # The status first, read on its own: asn1crypto will not parse a response
        # without a token, and a refusal carries none.
        outer = core.Sequence.load(response.content)
        status = tsp.PKIStatusInfo.load(outer[0].dump())["status"].native
        if status not in ("granted", "granted_with_mods"):
            raise TimestampAuthorityError(f"time-stamp authority refused: {status}")
        token: cms.ContentInfo = tsp.TimeStampResp.load(response.content)["time_stamp_token"]
        info = _tst_info(token)
        if info["nonce"].native != nonce:
            raise TimestampAuthorityError("time-stamp response does not echo the nonce")
        if info["message_imprint"]["hashed_message"].native != digest:
            raise TimestampAuthorityError("time-stamp response covers other data")
    except (ValueError, KeyError, TypeError) as exc:
        raise TimestampAuthorityError(f"time-stamp response is malformed: {exc}") from None
    return bytes(token.dump())


def _tst_info(token: cms.ContentInfo) -> tsp.TSTInfo:
    content = token["content"]["encap_content_info"]["content"]
    if isinstance(content, core.ParsableOctetString):
        content = content.parsed
    if not isinstance(content, tsp.TSTInfo):
        raise ValueError("the token does not encapsulate a TSTInfo")
    return content


def latest_checkpoint(store: ObjectStore) -> tuple[str, SignedCheckpoint] | None:
    """The newest checkpoint in ``store`` (by the time in its key), or ``None``.

    Raises ``CheckpointError`` when a delete has hidden a checkpoint newer than the newest
    one listed: in a versioned bucket a delete without a version id succeeds even under
    object lock (it only adds a delete marker), and reading the next older checkpoint
    instead would let whoever deleted it truncate the log back to that one unnoticed.
    """
    keys = sorted(k for k in store.iter_keys(CHECKPOINT_PREFIX) if k.endswith(".json"))
    hidden = sorted(k for k in store.iter_hidden_keys(CHECKPOINT_PREFIX) if k.endswith(".json"))
    if hidden and (not keys or hidden[-1] > keys[-1]):
        raise CheckpointError(
            f"the newest checkpoint {hidden[-1]} was deleted (a delete marker hides the "
            "version the bucket keeps): someone removed it, perhaps to hide a truncation"
        )
    if not keys:
        return None
    newest = keys[-1]
    with store.open(newest) as reader:
        data = reader.read()
    return newest, parse_signed_checkpoint(data, key=newest)


def verify_with_checkpoint(
    *,
    sessions: sessionmaker[Session],
    store: ObjectStore,
    public_key: PublicKey,
    tsa_trust: TrustStore,
    anchor: str | None = None,
    online: bool = True,
    outbound: OutboundPolicy | None = None,
) -> AnchoredVerdict:
    """Check every chain and compare it with its position in the latest checkpoint.

    A checkpoint of the single-chain format (``docex-audit-checkpoint/1``) still
    verifies: it is read as a checkpoint of chain 0, where every entry of that time is.

    ``tsa_trust`` is the :class:`~docex.signatures.trust.TrustStore` the TSA's certificate
    must chain to. With ``online`` (the default) the revocation status of the TSA's
    certificate path is fetched from its OCSP responder or CRLs; a checkpoint does not yet
    carry that data itself, so offline its time-stamp stays unproven. Those fetches obey
    ``outbound`` (default: the production policy, public addresses only). Without any
    checkpoint the chain is checked alone (``checkpoint`` is ``None``), as before
    anchoring existed: the caller says whether that is acceptable.
    """
    problem: str | None = None
    ts_time: datetime | None = None
    heads: dict[int, ChainHead] | None = None
    try:
        found = latest_checkpoint(store)
    except CheckpointError as exc:
        # An unreadable latest checkpoint is a finding about the anchor, like a bad
        # signature: someone wrote something there that docex did not.
        found = None
        problem = str(exc)
    if found is not None:
        signed = found[1]
        problem = _signature_problem(signed, public_key)
        if problem is None:
            ts_time, problem = _timestamp_problem(
                signed, tsa_trust, online=online, outbound=outbound
            )
        if problem is None:
            heads = signed.checkpoint.heads()
    with unit_of_work(sessions) as session:
        chain = verify_chain(session, anchor=anchor, checkpoint=heads)
    return AnchoredVerdict(
        chain=chain,
        checkpoint=found[1].checkpoint if found else None,
        checkpoint_key=found[0] if found else None,
        checkpoint_problem=problem,
        timestamp_time=ts_time,
    )


def _signature_problem(signed: SignedCheckpoint, public_key: PublicKey) -> str | None:
    if signed.checkpoint.key_id != key_id(public_key):
        return "it names a signing key other than the configured checkpoint key"
    if not signature_valid(public_key, signed.payload, signed.signature):
        return "its signature does not verify with the configured checkpoint key"
    return None


def _timestamp_problem(
    signed: SignedCheckpoint,
    tsa_trust: TrustStore,
    *,
    online: bool,
    outbound: OutboundPolicy | None,
) -> tuple[datetime | None, str | None]:
    from docex.signatures.evidence import ValidationData
    from docex.signatures.paths import CertificateEvaluator
    from docex.signatures.timestamps import validate_timestamp

    try:
        token = cms.ContentInfo.load(signed.timestamp_token)
        signed_data = token["content"]
        _tst_info(token)
    except ValueError as exc:
        return None, f"its time-stamp token is malformed: {exc}"
    if not isinstance(signed_data, cms.SignedData):
        return None, "its time-stamp token is not SignedData"
    signature_digest = hashlib.sha256(signed.signature).digest()

    def imprint(algorithm: str) -> bytes:
        if algorithm != "sha256":
            raise ValueError(algorithm)
        return signature_digest

    result = asyncio.run(
        validate_timestamp(
            signed_data,
            kind="signature",
            expected_imprint=imprint,
            data=ValidationData(),
            evaluator=CertificateEvaluator(tsa_trust, online=online, outbound=outbound),
        )
    )
    if not result.valid:
        return None, f"its time-stamp does not validate: {result.info.message}"
    return result.time, None


def checkpoint_signing_key(settings: Settings) -> PrivateKey:
    """The configured checkpoint key; ``SettingsError`` if none is configured."""
    if settings.audit_checkpoint_key is None:
        raise SettingsError("no audit checkpoint key: set DOCEX_AUDIT_CHECKPOINT_KEY")
    return load_private_key(_read(settings.audit_checkpoint_key))


def checkpoint_public_key(settings: Settings) -> PublicKey | None:
    """The key checkpoints are checked with, or ``None`` if anchoring is not configured."""
    path = settings.audit_checkpoint_public_key or settings.audit_checkpoint_key
    return None if path is None else load_public_key(_read(path))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SettingsError(f"cannot read {path}: {exc}") from None
