"""Several audit chains: where entries land, concurrent appends, per-chain findings.

On SQLite + a folder and on PostgreSQL + SeaweedFS, with the default number of chains.
Each tampering test takes a checkpoint through the development TSA, edits one chain the
way an intruder with database access would, and checks that verification names that
chain, the kind of damage, and no other chain.
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import itertools
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from docex.audit.chain import entry_hash
from docex.audit.checkpoints import (
    CHECKPOINT_FORMAT_V1,
    ChainPosition,
    Checkpoint,
    PrivateKey,
    SignedCheckpoint,
    key_id,
    load_private_key,
    sign_payload,
)
from docex.audit.log import Actor, entry_fields, record
from docex.audit.merkle import merkle_root
from docex.audit.shards import (
    DEFAULT_AUDIT_CHAINS,
    chain_for,
    chain_genesis,
    chain_lock_key,
    shard_key,
)
from docex.audit.verify import CheckpointFinding, verify_chain
from docex.clock import utcnow
from docex.db.engine import session_factory, unit_of_work
from docex.domain import ActorKind, Outcome
from docex.errors import SettingsError
from docex.outbound.policy import OutboundPolicy
from docex.services.audit_checkpoint import (
    AnchoredVerdict,
    fetch_timestamp,
    take_checkpoint,
    verify_with_checkpoint,
)
from docex.signatures.trust import TrustStore, load_trust_store
from tests.audit.conftest import all_entries
from tests.audit.tamper import tamper
from tests.conftest import Backend
from tests.devtsa import DevTsa, serving_dev_tsa

REPO = Path(__file__).resolve().parents[2]
DEV_KEY = REPO / "certs-dev" / "audit" / "checkpoint.key.pem"
LOOPBACK = OutboundPolicy(
    allowed_hosts=frozenset({"127.0.0.1"}),
    allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),),
    allow_plain_http=True,
)
FACILITIES = range(1, 9)
THREADS = len(FACILITIES)
PER_THREAD = 12


@pytest.fixture(scope="module")
def dev_tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTsa]:
    with serving_dev_tsa(tmp_path_factory.mktemp("dev-tsa")) as served:
        yield served


@pytest.fixture(scope="module")
def key() -> PrivateKey:
    return load_private_key(DEV_KEY.read_bytes())


@pytest.fixture(scope="module")
def tsa_trust(dev_tsa: DevTsa) -> TrustStore:
    return load_trust_store([dev_tsa.trust_folder])


def facility(number: int) -> Actor:
    return Actor(kind=ActorKind.FACILITY, facility_id=number, token_id=100 + number)


def expected_chain(facility_id: int) -> int:
    """The chain from the recipe in docex.audit.shards, computed here from its text."""
    digest = hashlib.sha256(f"facility:{facility_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % DEFAULT_AUDIT_CHAINS


def append_concurrently(backend: Backend) -> None:
    """Eight threads, one facility each, every append its own transaction."""
    start = threading.Barrier(THREADS)

    def worker(number: int) -> None:
        start.wait()
        for index in range(PER_THREAD):
            with unit_of_work(backend.sessions) as session:
                session.connection()  # the transaction is open before the append comes
                record(
                    session,
                    actor=facility(number),
                    action="test.sharded",
                    outcome=Outcome.OK,
                    details={"facility": number, "index": index},
                )

    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(worker, n) for n in FACILITIES]:
            future.result()


def verify(backend: Backend, key: PrivateKey, tsa_trust: TrustStore) -> AnchoredVerdict:
    return verify_with_checkpoint(
        sessions=backend.sessions,
        store=backend.store,
        public_key=key.public_key(),
        tsa_trust=tsa_trust,
        outbound=LOOPBACK,
    )


def chain_ids(backend: Backend, chain: int) -> list[int]:
    return [e.id for e in all_entries(backend.sessions) if e.chain == chain]


def test_the_shard_key_names_who_acted() -> None:
    assert shard_key(actor_kind=ActorKind.FACILITY, facility_id=7, token_id=3) == "facility:7"
    assert shard_key(actor_kind=ActorKind.AUDITOR, facility_id=None, token_id=4) == "token:4"
    assert shard_key(actor_kind=ActorKind.SYSTEM, facility_id=None, token_id=None) == "system"
    assert [chain_for(f"facility:{n}", 16) for n in FACILITIES] == [
        expected_chain(n) for n in FACILITIES
    ]
    assert chain_genesis(0) == "0" * 64
    assert chain_genesis(5) == hashlib.sha256(b"docex-audit-chain/5").hexdigest()


def test_concurrent_appends_land_in_several_chains_and_every_chain_verifies(
    backend: Backend,
) -> None:
    append_concurrently(backend)

    entries = all_entries(backend.sessions)
    assert len(entries) == THREADS * PER_THREAD
    chains = {e.chain for e in entries}
    assert chains == {expected_chain(n) for n in FACILITIES}
    assert len(chains) >= 3  # eight facilities over sixteen chains
    for number in FACILITIES:
        own = [e for e in entries if e.details["facility"] == number]
        # One facility, one chain, in the order its appends committed.
        assert {e.chain for e in own} == {expected_chain(number)}
        assert [e.details["index"] for e in own] == list(range(PER_THREAD))
    for chain in chains:
        linked = [e for e in entries if e.chain == chain]
        assert linked[0].prev_hash == chain_genesis(chain)
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(linked))
    with unit_of_work(backend.sessions) as session:
        verdict = verify_chain(session)
    assert verdict.ok, verdict
    assert verdict.entries_checked == THREADS * PER_THREAD
    assert [v.chain for v in verdict.chains] == sorted(chains)
    assert all(v.ok and v.finding is None for v in verdict.chains)


def test_the_number_of_chains_cannot_change_once_the_log_has_entries(backend: Backend) -> None:
    with unit_of_work(backend.sessions) as session:
        record(session, actor=facility(1), action="test.first", outcome=Outcome.OK)
    other = session_factory(backend.engine, audit_chains=8)
    with pytest.raises(SettingsError) as raised, unit_of_work(other) as session:
        record(session, actor=facility(1), action="test.second", outcome=Outcome.OK)
    assert str(raised.value) == (
        "the audit log has 16 chains but DOCEX_AUDIT_CHAINS is 8: the number is fixed by "
        "the first entry, because it decides which chain an entry joins"
    )
    assert [e.action for e in all_entries(backend.sessions)] == ["test.first"]


def test_the_checkpoint_holds_every_chain_and_their_merkle_root(
    backend: Backend, dev_tsa: DevTsa, key: PrivateKey, tsa_trust: TrustStore
) -> None:
    append_concurrently(backend)
    _, signed = take_checkpoint(
        sessions=backend.sessions, store=backend.store, key=key, tsa_url=dev_tsa.url
    )
    positions = signed.checkpoint.chains
    assert [p.chain for p in positions] == list(range(DEFAULT_AUDIT_CHAINS))
    entries = all_entries(backend.sessions)
    for position in positions:
        own = [e for e in entries if e.chain == position.chain]
        assert position.count == len(own)
        assert position.head_hash == (own[-1].hash if own else chain_genesis(position.chain))
    # The root, from the leaf layout in docex.audit.merkle: chain, count, head.
    leaves = [
        p.chain.to_bytes(4, "big") + p.count.to_bytes(8, "big") + bytes.fromhex(p.head_hash)
        for p in positions
    ]
    assert signed.checkpoint.root == merkle_root(leaves).hex()
    assert f'"root":"{signed.checkpoint.root}"'.encode() in signed.payload
    assert verify(backend, key, tsa_trust).ok


def test_deleting_the_tail_of_one_chain_is_named(
    backend: Backend, dev_tsa: DevTsa, key: PrivateKey, tsa_trust: TrustStore
) -> None:
    append_concurrently(backend)
    take_checkpoint(sessions=backend.sessions, store=backend.store, key=key, tsa_url=dev_tsa.url)
    victim = expected_chain(3)
    ids = chain_ids(backend, victim)
    assert tamper(backend.engine, "DELETE FROM audit_entries WHERE id >= :id", id=ids[-4]) >= 4

    verdict = verify(backend, key, tsa_trust)

    assert not verdict.ok
    assert verdict.checkpoint_problem is None
    (broken,) = [v for v in verdict.chain.broken if v.chain == victim]
    assert broken.finding is CheckpointFinding.TRUNCATED
    assert broken.reason == (
        f"the chain has {len(ids) - 4} entries, the checkpoint counted {len(ids)}: "
        "entries were removed from its end"
    )


def test_deleting_all_of_one_chain_is_named(
    backend: Backend, dev_tsa: DevTsa, key: PrivateKey, tsa_trust: TrustStore
) -> None:
    append_concurrently(backend)
    take_checkpoint(sessions=backend.sessions, store=backend.store, key=key, tsa_url=dev_tsa.url)
    victim = expected_chain(5)
    ids = chain_ids(backend, victim)
    deleted = tamper(backend.engine, "DELETE FROM audit_entries WHERE chain = :c", c=victim)
    assert deleted == len(ids)

    verdict = verify(backend, key, tsa_trust)

    assert not verdict.ok
    assert [(v.chain, v.finding) for v in verdict.chain.broken] == [
        (victim, CheckpointFinding.ALL_DELETED)
    ]
    assert verdict.chain.reason == (
        f"chain {victim}: the chain has 0 entries, the checkpoint counted {len(ids)}: "
        "entries were removed from its end"
    )
    # The other chains still agree with their positions in the checkpoint.
    assert all(v.ok for v in verdict.chain.chains if v.chain != victim)


def test_rewriting_one_entry_of_one_chain_is_named(
    backend: Backend, dev_tsa: DevTsa, key: PrivateKey, tsa_trust: TrustStore
) -> None:
    append_concurrently(backend)
    take_checkpoint(sessions=backend.sessions, store=backend.store, key=key, tsa_url=dev_tsa.url)
    victim = expected_chain(2)
    entries = [e for e in all_entries(backend.sessions) if e.chain == victim]
    # An intruder changes one entry and recomputes every hash after it in that chain, so
    # that the chain alone is consistent again.
    changed = entries[4]
    changed.details = {**changed.details, "note": "forged"}
    prev = entries[3].hash
    with backend.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            connection.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_update"))
        for entry in entries[4:]:
            new_hash = entry_hash(prev, entry_fields(entry))
            connection.execute(
                text(
                    "UPDATE audit_entries SET prev_hash = :p, hash = :h, details = :d"
                    " WHERE id = :id"
                ).bindparams(p=prev, h=new_hash, id=entry.id),
                {"d": json.dumps(entry.details)},
            )
            prev = new_hash
    with unit_of_work(backend.sessions) as session:
        assert verify_chain(session).ok  # the chain alone cannot tell

    verdict = verify(backend, key, tsa_trust)

    assert not verdict.ok
    (broken,) = verdict.chain.broken
    assert (broken.chain, broken.finding) == (victim, CheckpointFinding.REWRITTEN)
    assert broken.first_broken_id == entries[-1].id
    assert broken.reason is not None
    assert broken.reason.endswith(f"{entries[-1].hash} there: the chain was rewritten")


def test_a_single_chain_checkpoint_still_verifies(
    backend: Backend, dev_tsa: DevTsa, key: PrivateKey, tsa_trust: TrustStore
) -> None:
    """A format-1 checkpoint, as taken before sharding: it covers chain 0."""
    single = session_factory(backend.engine, audit_chains=1)
    for index in range(6):
        with unit_of_work(single) as session:
            record(session, actor=facility(index), action="test.old", outcome=Outcome.OK)
    entries = all_entries(single)
    old = Checkpoint(
        chains=(
            ChainPosition(chain=0, count=6, head_hash=entries[-1].hash, last_id=entries[-1].id),
        ),
        created_at=utcnow(),
        key_id=key_id(key.public_key()),
        format=CHECKPOINT_FORMAT_V1,
    )
    payload = old.payload()
    assert payload.startswith(b'{"count":6,"created_at":')  # the format-1 members only
    signature = sign_payload(key, payload)
    token = fetch_timestamp(hashlib.sha256(signature).digest(), url=dev_tsa.url, timeout=10)
    body = SignedCheckpoint(
        checkpoint=old, payload=payload, signature=signature, timestamp_token=token
    ).to_bytes()
    backend.store.put(old.object_key, io.BytesIO(body))

    verdict = verify_with_checkpoint(
        sessions=single,
        store=backend.store,
        public_key=key.public_key(),
        tsa_trust=tsa_trust,
        outbound=LOOPBACK,
    )
    assert verdict.ok, verdict
    assert verdict.checkpoint is not None
    assert verdict.checkpoint.format == CHECKPOINT_FORMAT_V1

    tamper(backend.engine, "DELETE FROM audit_entries WHERE id > :id", id=entries[3].id)
    truncated = verify(backend, key, tsa_trust)
    assert [(v.chain, v.finding) for v in truncated.chain.broken] == [
        (0, CheckpointFinding.TRUNCATED)
    ]


@pytest.mark.parametrize("backend_name", ["postgres-s3"])
def test_a_held_chain_lock_blocks_only_that_chain(backend: Backend) -> None:
    """The point of sharding: no lock every writer of the deployment waits for."""
    first = expected_chain(1)
    other = next(n for n in FACILITIES if expected_chain(n) != first)

    def append_for(number: int) -> None:
        with unit_of_work(backend.sessions) as session:
            record(session, actor=facility(number), action="test.locked", outcome=Outcome.OK)

    # The first append records the number of chains; until it commits, that row would
    # hold up the first append of every other chain too.
    with unit_of_work(backend.sessions) as session:
        record(session, actor=facility(other), action="test.first", outcome=Outcome.OK)

    with ThreadPoolExecutor(2) as pool, backend.engine.connect() as holder:
        # Another process in the middle of appending to chain `first`.
        holder.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": chain_lock_key(first)})
        blocked = pool.submit(append_for, 1)
        free = pool.submit(append_for, other)
        free.result(timeout=30)  # another chain's lock: it does not wait
        with pytest.raises(TimeoutError):
            blocked.result(timeout=1.5)
        holder.rollback()  # the lock is released with the transaction
        blocked.result(timeout=30)
    locked = [e.chain for e in all_entries(backend.sessions) if e.action == "test.locked"]
    assert sorted(locked) == sorted([first, expected_chain(other)])
