"""Checkpoints under S3 Object Lock retention, on SeaweedFS.

SeaweedFS (the version the dev extra installs) creates buckets with object lock
(versioning on), accepts ``x-amz-object-lock-mode``/``-retain-until-date`` on a PUT,
reports them back, and refuses to delete the retained version (``AccessDenied``). A
delete without a version id still succeeds as S3 specifies: it adds a delete marker, the
retained version stays (and a plain listing no longer shows the key).
"""

from __future__ import annotations

import io
import ipaddress
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from minio import Minio
from minio.error import S3Error
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from docex.audit.checkpoints import CHECKPOINT_PREFIX, PrivateKey, load_private_key
from docex.audit.log import SYSTEM, record
from docex.db.engine import unit_of_work
from docex.domain import Outcome
from docex.errors import SettingsError, StorageError
from docex.outbound.policy import OutboundPolicy
from docex.services.audit_checkpoint import take_checkpoint, verify_with_checkpoint
from docex.signatures.trust import load_trust_store
from docex.storage.local import LocalObjectStore
from docex.storage.s3 import S3ObjectStore
from tests.devtsa import DevTsa, serving_dev_tsa
from tests.servers import SeaweedS3Server

REPO = Path(__file__).resolve().parents[2]
DEV_KEY = REPO / "certs-dev" / "audit" / "checkpoint.key.pem"


@pytest.fixture(scope="module")
def dev_tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTsa]:
    with serving_dev_tsa(tmp_path_factory.mktemp("dev-tsa")) as served:
        yield served


@pytest.fixture
def key() -> PrivateKey:
    return load_private_key(DEV_KEY.read_bytes())


@pytest.fixture
def one_entry(engine: Engine, sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with unit_of_work(sessions) as session:
        record(session, actor=SYSTEM, action="test.event", outcome=Outcome.OK)
    return sessions


def client(server: SeaweedS3Server) -> Minio:
    return Minio(
        server.endpoint,
        access_key=server.access_key,
        secret_key=server.secret_key,
        secure=False,
        region=server.region,
    )


def store_on(server: SeaweedS3Server, bucket: str) -> S3ObjectStore:
    return S3ObjectStore(
        endpoint=server.endpoint,
        bucket=bucket,
        access_key=server.access_key,
        secret_key=server.secret_key,
        secure=False,
        region=server.region,
    )


@pytest.mark.parametrize("backend_name", ["sqlite-local"])
def test_a_retained_checkpoint_cannot_be_deleted(
    s3_server: SeaweedS3Server, one_entry: sessionmaker[Session], dev_tsa: DevTsa, key: PrivateKey
) -> None:
    s3_server.ensure_running()
    bucket = s3_server.new_bucket_name()
    minio = client(s3_server)
    minio.make_bucket(bucket, object_lock=True)

    object_key, signed = take_checkpoint(
        sessions=one_entry,
        store=store_on(s3_server, bucket),
        key=key,
        tsa_url=dev_tsa.url,
        retention_days=3,
    )

    stat = minio.stat_object(bucket, object_key)
    retention = minio.get_object_retention(bucket, object_key, version_id=stat.version_id)
    assert retention is not None
    assert retention.mode == "COMPLIANCE"
    expected = (signed.checkpoint.created_at + timedelta(days=3)).replace(microsecond=0)
    assert retention.retain_until_date == expected
    with pytest.raises(S3Error) as refused:
        minio.remove_object(bucket, object_key, version_id=stat.version_id)
    assert refused.value.code == "AccessDenied"
    assert minio.stat_object(bucket, object_key, version_id=stat.version_id).size == len(
        signed.to_bytes()
    )


@pytest.mark.parametrize("backend_name", ["sqlite-local"])
def test_retention_on_a_bucket_without_object_lock_is_refused(
    s3_server: SeaweedS3Server, one_entry: sessionmaker[Session], dev_tsa: DevTsa, key: PrivateKey
) -> None:
    s3_server.ensure_running()
    store = store_on(s3_server, s3_server.new_bucket_name())
    store.ensure_ready()
    with pytest.raises(StorageError, match="cannot store 'checkpoints/audit/"):
        take_checkpoint(
            sessions=one_entry, store=store, key=key, tsa_url=dev_tsa.url, retention_days=1
        )
    assert list(store.iter_keys("checkpoints/")) == []


@pytest.mark.parametrize("backend_name", ["sqlite-local"])
def test_retention_needs_an_s3_store(
    one_entry: sessionmaker[Session], dev_tsa: DevTsa, key: PrivateKey, tmp_path: Path
) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    with pytest.raises(SettingsError, match="needs an S3 object store with object lock"):
        take_checkpoint(
            sessions=one_entry, store=store, key=key, tsa_url=dev_tsa.url, retention_days=1
        )


LOOPBACK = OutboundPolicy(
    allowed_hosts=frozenset({"127.0.0.1"}),
    allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),),
    allow_plain_http=True,
)


@pytest.mark.parametrize("backend_name", ["sqlite-local"])
def test_a_hidden_newest_checkpoint_is_a_finding_not_a_fallback(
    s3_server: SeaweedS3Server, one_entry: sessionmaker[Session], dev_tsa: DevTsa, key: PrivateKey
) -> None:
    """A delete without a version id succeeds under object lock (a delete marker); the
    older checkpoint must not quietly become the anchor, or the entries after it could be
    truncated unseen."""
    s3_server.ensure_running()
    bucket = s3_server.new_bucket_name()
    minio = client(s3_server)
    minio.make_bucket(bucket, object_lock=True)
    store = store_on(s3_server, bucket)
    tsa_trust = load_trust_store([dev_tsa.trust_folder])

    def verify() -> str | None:
        verdict = verify_with_checkpoint(
            sessions=one_entry,
            store=store,
            public_key=key.public_key(),
            tsa_trust=tsa_trust,
            outbound=LOOPBACK,
        )
        return verdict.checkpoint_problem

    older, _ = take_checkpoint(
        sessions=one_entry, store=store, key=key, tsa_url=dev_tsa.url, retention_days=1
    )
    with unit_of_work(one_entry) as session:
        record(session, actor=SYSTEM, action="test.event", outcome=Outcome.OK)
    newer, _ = take_checkpoint(
        sessions=one_entry, store=store, key=key, tsa_url=dev_tsa.url, retention_days=1
    )
    assert older < newer
    assert verify() is None

    # Hiding an older checkpoint changes nothing: the newest is still listed.
    minio.remove_object(bucket, older)
    assert list(store.iter_hidden_keys(CHECKPOINT_PREFIX)) == [older]
    assert verify() is None

    minio.remove_object(bucket, newer)
    assert sorted(store.iter_hidden_keys(CHECKPOINT_PREFIX)) == sorted([older, newer])
    assert verify() == (
        f"the newest checkpoint {newer} was deleted (a delete marker hides the version the "
        "bucket keeps): someone removed it, perhaps to hide a truncation"
    )


def test_a_folder_store_hides_nothing(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.put(f"{CHECKPOINT_PREFIX}a.json", io.BytesIO(b"{}"))
    store.delete(f"{CHECKPOINT_PREFIX}a.json")
    assert list(store.iter_hidden_keys(CHECKPOINT_PREFIX)) == []
