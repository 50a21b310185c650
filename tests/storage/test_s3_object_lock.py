"""Object lock on SeaweedFS (4.x supports it): retention on write, deletes that cannot destroy.

The production bucket is created with object lock (versioning included) and a default
GOVERNANCE retention by the compose file's ``minio-setup``; here the same bucket shape is
made with the S3 API on the test server, and the store writes with
``object_lock_days``. Everything below is what SeaweedFS answered, not assumed.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import timedelta

import pytest
from minio import Minio
from minio.commonconfig import GOVERNANCE
from minio.error import S3Error
from minio.objectlockconfig import DAYS, ObjectLockConfig

from docex.clock import utcnow
from docex.errors import StorageError
from docex.storage.base import content_key
from docex.storage.s3 import PART_SIZE, S3ObjectStore
from tests.servers import SeaweedS3Server


@pytest.fixture
def client(s3_server: SeaweedS3Server) -> Minio:
    s3_server.ensure_running()
    return s3_server.client()


def locked_bucket(client: Minio) -> str:
    """A new bucket with object lock and a one-day default GOVERNANCE retention."""
    bucket = f"lock-{uuid.uuid4().hex[:20]}"
    client.make_bucket(bucket, object_lock=True)
    client.set_object_lock_config(bucket, ObjectLockConfig(GOVERNANCE, 1, DAYS))
    return bucket


def store(s3_server: SeaweedS3Server, bucket: str, days: int) -> S3ObjectStore:
    return S3ObjectStore(
        endpoint=s3_server.endpoint,
        bucket=bucket,
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
        secure=False,
        region=s3_server.region,
        object_lock_days=days,
    )


def put(target: S3ObjectStore, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    key = content_key(digest)
    target.put(key, io.BytesIO(data), length=len(data), sha256=digest)
    return key


@pytest.mark.parametrize("size", [100, PART_SIZE + 1], ids=["single-put", "multipart"])
def test_every_write_carries_the_configured_retention(
    s3_server: SeaweedS3Server, client: Minio, size: int
) -> None:
    bucket = locked_bucket(client)
    before = utcnow()
    key = put(store(s3_server, bucket, days=30), uuid.uuid4().bytes * (size // 16 + 1))
    retention = client.get_object_retention(bucket, key)
    assert retention is not None
    assert retention.mode == GOVERNANCE
    until = retention.retain_until_date
    assert until is not None
    # 30 days from the write, not the bucket's default of one.
    assert before + timedelta(days=30) - timedelta(seconds=1) <= until
    assert until <= utcnow() + timedelta(days=30, seconds=1)


def test_a_retained_version_cannot_be_deleted_and_removal_only_hides_it(
    s3_server: SeaweedS3Server, client: Minio
) -> None:
    bucket = locked_bucket(client)
    target = store(s3_server, bucket, days=0)  # the bucket's default retention applies
    data = b"signed bytes under retention"
    key = put(target, data)
    version = client.stat_object(bucket, key).version_id
    assert version is not None
    with pytest.raises(S3Error) as refused:
        client.remove_object(bucket, key, version_id=version)
    assert refused.value.code == "AccessDenied"

    # What docex's delete does (reconcile's removal): a delete marker, never the bytes.
    assert target.remove_orphan(key, unchanged_since=utcnow() + timedelta(seconds=1))
    assert not target.exists(key)
    kept = client.get_object(bucket, key, version_id=version)
    try:
        assert kept.read() == data
    finally:
        kept.close()
        kept.release_conn()

    # Behind delete markers (the object's and reconcile's own), the key is free again: a
    # later upload of the same bytes creates, and a retry of it deduplicates.
    assert target.put(key, io.BytesIO(data), length=len(data)).created is True
    assert target.put(key, io.BytesIO(data), length=len(data)).created is False


def test_a_deduplicated_put_on_a_locked_bucket_refreshes_with_a_new_version(
    s3_server: SeaweedS3Server, client: Minio
) -> None:
    bucket = locked_bucket(client)
    target = store(s3_server, bucket, days=2)
    data = b"retried upload"
    key = put(target, data)
    first = client.stat_object(bucket, key).version_id
    start = utcnow()
    again = target.put(key, io.BytesIO(data), length=len(data))
    assert again.created is False
    stat = client.stat_object(bucket, key)
    assert stat.version_id != first
    assert target.stat(key).modified_at >= start
    assert target.stat(key).sha256 == hashlib.sha256(data).hexdigest()
    retention = client.get_object_retention(bucket, key)
    assert retention is not None
    assert retention.mode == GOVERNANCE


def test_retention_on_a_bucket_without_object_lock_is_refused(
    s3_server: SeaweedS3Server, client: Minio
) -> None:
    bucket = f"plain-{uuid.uuid4().hex[:20]}"
    client.make_bucket(bucket)
    with pytest.raises(StorageError, match=r"^S3 cannot store .*: InvalidRequest: "):
        put(store(s3_server, bucket, days=1), b"no lock here")
