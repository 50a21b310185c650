"""Failure handling with the real servers stopped mid-flight (PostgreSQL + SeaweedFS only)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from docex.services.reconcile import reconcile_storage
from docex.storage.base import ObjectStore, StoredObject
from tests.api.conftest import Api, runtime_for, serve
from tests.api.submitting import document_count, stored_keys, submit
from tests.conftest import Backend

pytestmark = pytest.mark.parametrize("backend_name", ["postgres-s3"], indirect=True)


@pytest.fixture
def backend_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class _StopDatabaseAfterPut:
    """The real object store; after the first put, the real PostgreSQL server is stopped hard."""

    def __init__(self, store: ObjectStore, backend: Backend) -> None:
        self._store = store
        self._backend = backend
        self._stopped = False

    def put(self, *args: Any, **kwargs: Any) -> StoredObject:
        stored = self._store.put(*args, **kwargs)
        assert self._backend.servers.postgres is not None
        if not self._stopped:
            self._stopped = True
            self._backend.servers.postgres.stop(mode="immediate")
        return stored

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_object_store_down_is_503_and_the_database_untouched(api: Api, good_sig: bytes) -> None:
    assert api.backend.servers.s3 is not None
    with api.backend.servers.s3.stopped(), api.client("a") as a:
        response = submit(a, good_sig)
        assert response.status_code == 503, response.text
        assert response.json()["type"] == "urn:docex:problem:storage-unavailable"
        assert response.headers["retry-after"]
    assert document_count(api) == 0
    with api.client("a") as a:
        assert submit(a, good_sig).status_code == 201


def test_database_down_before_anything_is_503_and_nothing_stored(api: Api, good_sig: bytes) -> None:
    assert api.backend.servers.postgres is not None
    with api.backend.servers.postgres.stopped(mode="immediate"), api.client("a") as a:
        response = submit(a, good_sig)
        assert response.status_code == 503
        assert response.json()["type"] == "urn:docex:problem:database-unavailable"
    assert stored_keys(api) == []


def test_commit_failing_after_the_object_was_written_leaves_an_orphan_that_reconcile_removes(
    api: Api, good_sig: bytes
) -> None:
    assert api.backend.servers.postgres is not None
    faulty = replace(
        runtime_for(api.backend, api.runtime.settings),
        store=_StopDatabaseAfterPut(api.backend.store, api.backend),
    )
    # Authenticate before the fault; the submission itself then loses the database.
    with faulty.verifier, serve(faulty.settings, faulty) as url:
        client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {api.tokens['a']}"})
        with client:
            response = submit(client, good_sig)
    assert response.status_code == 503, response.text
    api.backend.servers.postgres.start()
    assert document_count(api) == 0
    orphans = stored_keys(api)
    assert orphans  # the signature object was written before the commit failed

    # Fresh orphans are left alone: a submission may still be about to commit them.
    recent = reconcile_storage(
        sessions=api.runtime.sessions, store=api.runtime.store, grace=timedelta(hours=1)
    )
    assert sorted(recent.too_recent) == sorted(orphans)
    assert recent.removed == []
    assert sorted(stored_keys(api)) == sorted(orphans)

    report = reconcile_storage(
        sessions=api.runtime.sessions, store=api.runtime.store, grace=timedelta(0)
    )
    assert sorted(report.removed) == sorted(orphans)
    assert report.missing == []
    assert stored_keys(api) == []


def test_reconcile_keeps_referenced_objects_and_reports_missing_ones(
    api: Api, good_sig: bytes
) -> None:
    with api.client("a") as a:
        doc = submit(a, good_sig).json()
    keys = sorted(stored_keys(api))
    assert (
        reconcile_storage(
            sessions=api.runtime.sessions, store=api.runtime.store, grace=timedelta(0)
        ).removed
        == []
    )
    assert sorted(stored_keys(api)) == keys
    # Someone deletes a document's object by hand: reconcile reports it, never "fixes" it.
    signature_key = next(k for k in keys if k.endswith(doc["sha256"]))
    api.backend.store.delete(signature_key)
    assert reconcile_storage(
        sessions=api.runtime.sessions, store=api.runtime.store, grace=timedelta(0)
    ).missing == [signature_key]
