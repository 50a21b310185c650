"""Checkpoints of the audit chain, on SQLite + a folder and on PostgreSQL + SeaweedFS.

Each test appends entries, takes a checkpoint through the development TSA (a real RFC
3161 server on loopback), then edits the log the way an intruder with database access
would, and checks what verification against the checkpoint reports.
"""

from __future__ import annotations

import io
import ipaddress
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from docex.audit.checkpoints import (
    CHECKPOINT_PREFIX,
    PrivateKey,
    SignedCheckpoint,
    key_id,
    load_private_key,
    parse_signed_checkpoint,
    sign_payload,
)
from docex.audit.verify import CheckpointFinding
from docex.db.engine import session_factory
from docex.outbound.policy import OutboundPolicy
from docex.services.audit_checkpoint import (
    AnchoredVerdict,
    TimestampAuthorityError,
    latest_checkpoint,
    take_checkpoint,
    verify_with_checkpoint,
)
from docex.signatures.trust import TrustStore, load_trust_store
from tests.audit.conftest import append
from tests.audit.tamper import tamper
from tests.conftest import Backend
from tests.devtsa import DevTsa, serving_dev_tsa


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """One chain (``DOCEX_AUDIT_CHAINS=1``): these tests are about the links within a
    chain; ``test_shards.py`` spreads entries over several."""
    return session_factory(engine, audit_chains=1)


REPO = Path(__file__).resolve().parents[2]
DEV_KEY = REPO / "certs-dev" / "audit" / "checkpoint.key.pem"


@pytest.fixture(scope="module")
def dev_tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTsa]:
    with serving_dev_tsa(tmp_path_factory.mktemp("dev-tsa")) as served:
        yield served


@pytest.fixture(scope="module")
def tsa_url(dev_tsa: DevTsa) -> str:
    return dev_tsa.url


@pytest.fixture(scope="module")
def key() -> PrivateKey:
    return load_private_key(DEV_KEY.read_bytes())


LOOPBACK = OutboundPolicy(
    allowed_hosts=frozenset({"127.0.0.1"}),
    allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),),
    allow_plain_http=True,
)


@pytest.fixture(scope="module")
def tsa_trust(dev_tsa: DevTsa) -> TrustStore:
    return load_trust_store([dev_tsa.trust_folder])


def checkpoint(backend: Backend, key: PrivateKey, tsa_url: str) -> tuple[str, SignedCheckpoint]:
    return take_checkpoint(sessions=backend.sessions, store=backend.store, key=key, tsa_url=tsa_url)


def verify(backend: Backend, key: PrivateKey, tsa_trust: TrustStore) -> AnchoredVerdict:
    return verify_with_checkpoint(
        sessions=backend.sessions,
        store=backend.store,
        public_key=key.public_key(),
        tsa_trust=tsa_trust,
        # The development TSA's OCSP and CRLs are served on loopback.
        outbound=LOOPBACK,
    )


def test_intact_chain_agrees_with_its_checkpoint(
    backend: Backend, key: PrivateKey, tsa_url: str, tsa_trust: TrustStore
) -> None:
    ids = append(backend.sessions, 43)
    object_key, signed = checkpoint(backend, key, tsa_url)
    assert object_key.startswith(CHECKPOINT_PREFIX)
    assert signed.checkpoint.count == 43
    assert signed.checkpoint.last_id == ids[-1]
    append(backend.sessions, 2)  # growth after a checkpoint is normal

    verdict = verify(backend, key, tsa_trust)

    assert verdict.ok, verdict
    assert verdict.checkpoint_problem is None
    assert verdict.checkpoint_key == object_key
    assert verdict.chain.entries_checked == 45
    assert verdict.chain.finding is None
    assert verdict.timestamp_time is not None
    assert abs((verdict.timestamp_time - signed.checkpoint.created_at).total_seconds()) < 60


def test_truncation_is_detected(
    backend: Backend, key: PrivateKey, tsa_url: str, tsa_trust: TrustStore
) -> None:
    ids = append(backend.sessions, 43)
    checkpoint(backend, key, tsa_url)
    assert tamper(backend.engine, "DELETE FROM audit_entries WHERE id > :id", id=ids[32]) == 10

    verdict = verify(backend, key, tsa_trust)

    assert not verdict.ok
    assert verdict.checkpoint_problem is None
    assert verdict.chain.finding is CheckpointFinding.TRUNCATED
    assert verdict.chain.entries_checked == 33
    assert verdict.chain.reason == (
        "chain 0: the chain has 33 entries, the checkpoint counted 43: entries were removed "
        "from its end"
    )


def test_total_deletion_is_detected(
    backend: Backend, key: PrivateKey, tsa_url: str, tsa_trust: TrustStore
) -> None:
    append(backend.sessions, 43)
    checkpoint(backend, key, tsa_url)
    assert tamper(backend.engine, "DELETE FROM audit_entries") == 43

    verdict = verify(backend, key, tsa_trust)

    assert not verdict.ok
    assert verdict.chain.finding is CheckpointFinding.ALL_DELETED
    assert verdict.chain.entries_checked == 0


def test_consistent_rewrite_is_detected(
    backend: Backend, key: PrivateKey, tsa_url: str, tsa_trust: TrustStore
) -> None:
    append(backend.sessions, 43)
    _, signed = checkpoint(backend, key, tsa_url)
    # A new history, consistently chained from the genesis hash: the chain alone is intact.
    tamper(backend.engine, "DELETE FROM audit_entries")
    new_ids = append(backend.sessions, 44, action="forged.event")

    verdict = verify(backend, key, tsa_trust)

    assert not verdict.ok
    assert verdict.chain.finding is CheckpointFinding.REWRITTEN
    assert verdict.chain.first_broken_id == new_ids[42]
    assert verdict.chain.entries_checked == 43
    assert f"the checkpoint recorded {signed.checkpoint.chains[0].head_hash} there" in str(
        verdict.chain.reason
    )


def test_latest_checkpoint_counts_and_none_is_overwritten(
    backend: Backend, key: PrivateKey, tsa_url: str, tsa_trust: TrustStore
) -> None:
    ids = append(backend.sessions, 5)
    first_key, _ = checkpoint(backend, key, tsa_url)
    append(backend.sessions, 5)
    second_key, _ = checkpoint(backend, key, tsa_url)
    assert first_key != second_key
    assert sorted(backend.store.iter_keys(CHECKPOINT_PREFIX)) == [first_key, second_key]
    found = latest_checkpoint(backend.store)
    assert found is not None
    assert found[0] == second_key
    # Removing the last 5 would agree with the first checkpoint, not with the latest.
    tamper(backend.engine, "DELETE FROM audit_entries WHERE id > :id", id=ids[-1])
    verdict = verify(backend, key, tsa_trust)
    assert verdict.chain.finding is CheckpointFinding.TRUNCATED


def test_a_checkpoint_signed_with_another_key_is_not_relied_on(
    backend: Backend, key: PrivateKey, tsa_url: str, tsa_trust: TrustStore
) -> None:
    append(backend.sessions, 3)
    _, genuine = checkpoint(backend, key, tsa_url)
    # The intruder's own checkpoint of a shorter chain, newer than the genuine one.
    intruder = ec.generate_private_key(ec.SECP256R1())
    forged = replace(
        genuine.checkpoint,
        chains=(replace(genuine.checkpoint.chains[0], count=1),),
        created_at=genuine.checkpoint.created_at.replace(year=2099),
        key_id=key_id(intruder.public_key()),
    )
    payload = forged.payload()
    body = SignedCheckpoint(
        checkpoint=forged,
        payload=payload,
        signature=sign_payload(intruder, payload),
        timestamp_token=genuine.timestamp_token,
    ).to_bytes()
    backend.store.put(forged.object_key, io.BytesIO(body))

    verdict = verify(backend, key, tsa_trust)

    assert not verdict.ok
    assert verdict.checkpoint_key == forged.object_key
    assert verdict.checkpoint_problem == (
        "it names a signing key other than the configured checkpoint key"
    )


def test_a_checkpoint_whose_time_stamp_covers_another_signature_is_not_relied_on(
    backend: Backend, key: PrivateKey, tsa_url: str, tsa_trust: TrustStore
) -> None:
    append(backend.sessions, 3)
    _, first = checkpoint(backend, key, tsa_url)
    append(backend.sessions, 1)
    second_key, second = checkpoint(backend, key, tsa_url)
    # Correctly signed, but carrying the first checkpoint's token: proves no time for it.
    backend.store.delete(second_key)
    body = replace(second, timestamp_token=first.timestamp_token).to_bytes()
    backend.store.put(second_key, io.BytesIO(body))

    verdict = verify(backend, key, tsa_trust)

    assert not verdict.ok
    assert verdict.checkpoint_problem is not None
    assert verdict.checkpoint_problem.startswith("its time-stamp does not validate: ")
    assert "imprint mismatch" in verdict.checkpoint_problem


def test_an_edited_checkpoint_object_fails_its_signature(
    backend: Backend, key: PrivateKey, tsa_url: str, tsa_trust: TrustStore
) -> None:
    append(backend.sessions, 4)
    object_key, signed = checkpoint(backend, key, tsa_url)
    lowered = replace(signed.checkpoint, chains=(replace(signed.checkpoint.chains[0], count=2),))
    edited = replace(signed, checkpoint=lowered, payload=lowered.payload()).to_bytes()
    backend.store.delete(object_key)
    backend.store.put(object_key, io.BytesIO(edited))
    assert parse_signed_checkpoint(edited, key=object_key).checkpoint.count == 2

    verdict = verify(backend, key, tsa_trust)

    assert verdict.checkpoint_problem == (
        "its signature does not verify with the configured checkpoint key"
    )


def test_an_unreachable_tsa_stores_nothing(backend: Backend, key: PrivateKey) -> None:
    append(backend.sessions, 1)
    with pytest.raises(TimestampAuthorityError, match="unreachable"):
        checkpoint(backend, key, "http://127.0.0.1:9/tsa")
    assert list(backend.store.iter_keys(CHECKPOINT_PREFIX)) == []
