"""The S3 store when its server is down: our errors, quickly, and recovery after."""

from __future__ import annotations

import io
import time

import pytest

from docex.errors import StorageError, StorageUnavailableError
from docex.settings import Settings
from docex.storage import open_object_store
from docex.storage.s3 import S3ObjectStore
from tests.conftest import Servers


@pytest.mark.parametrize("backend_name", ["postgres-s3"], indirect=True)
def test_server_down_is_unavailable_then_recovers(
    servers: Servers, backend_settings: Settings
) -> None:
    assert servers.s3 is not None
    store = open_object_store(backend_settings)
    store.put("before", io.BytesIO(b"kept across the outage"))
    with servers.s3.stopped():
        started = time.monotonic()
        with pytest.raises(StorageUnavailableError):
            store.put("during", io.BytesIO(b"x"))
        with pytest.raises(StorageUnavailableError):
            store.open("before")
        with pytest.raises(StorageUnavailableError):
            store.exists("before")
        with pytest.raises(StorageUnavailableError):
            list(store.iter_keys())
        with pytest.raises(StorageUnavailableError):
            store.ensure_ready()
        # Fail fast: a request handler must answer 503 in seconds, not wait minutes.
        assert time.monotonic() - started < 10
    with store.open("before") as reader:
        assert reader.read() == b"kept across the outage"
    assert not store.exists("during")


@pytest.mark.parametrize("backend_name", ["postgres-s3"], indirect=True)
def test_bucket_is_created_once(servers: Servers, backend_settings: Settings) -> None:
    assert servers.s3 is not None
    first = open_object_store(backend_settings)
    second = open_object_store(backend_settings)  # bucket exists already: fine
    assert isinstance(first, S3ObjectStore)
    assert isinstance(second, S3ObjectStore)
    assert first.bucket == second.bucket == backend_settings.s3_bucket
    assert servers.s3.client().bucket_exists(backend_settings.s3_bucket)


@pytest.mark.parametrize("backend_name", ["postgres-s3"], indirect=True)
def test_wrong_credentials_are_a_storage_error_not_s3error(
    servers: Servers, backend_settings: Settings
) -> None:
    assert servers.s3 is not None
    store = S3ObjectStore(
        endpoint=servers.s3.endpoint,
        bucket=backend_settings.s3_bucket,
        access_key=servers.s3.access_key,
        secret_key="wrong-secret",
        secure=False,
        region=servers.s3.region,
    )
    with pytest.raises(StorageError) as caught:
        store.ensure_ready()
    assert not isinstance(caught.value, StorageUnavailableError)
