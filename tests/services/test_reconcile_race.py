"""``docex storage reconcile`` against a submission committing the same bytes, on both stores.

The interleaving of issue 13: bytes orphaned hours ago by a failed commit; reconcile lists
the store and reads the references (none); *then* a retried submission of the same
document deduplicates its put and commits; *then* reconcile's removal step runs. The
orphan is made "hours old" by writing it through a store whose clock is set back, and the
concurrent submission runs from a hook at the start of the removal step — no sleeps, no
timing: every step happens in the order written here.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from docex.clock import utcnow
from docex.composition import Container
from docex.db.documents import Document
from docex.db.engine import unit_of_work
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.domain import DocumentKind
from docex.errors import StorageUnavailableError
from docex.services.reconcile import reconcile_storage
from docex.services.submission import Submission, SubmissionResult, submit_document
from docex.settings import ObjectStoreKind, Settings
from docex.storage.base import ObjectStore, content_key
from docex.storage.local import LocalObjectStore
from docex.storage.s3 import RECONCILE_MARKER_PREFIX, S3ObjectStore
from tests import signed_content
from tests.services.conftest import FACILITY_A, Parties

GRACE = timedelta(hours=1)


@pytest.fixture(params=["sqlite-local", "postgres-s3"])
def backend_name(request: pytest.FixtureRequest) -> str:
    """Both stores: the local folder and SeaweedFS."""
    return str(request.param)


def s3_store_at(
    settings: Settings, clock: Callable[[], datetime], cls: type[S3ObjectStore] = S3ObjectStore
) -> S3ObjectStore:
    """The backend's S3 bucket, written with ``clock``'s time."""
    assert settings.s3_endpoint is not None
    assert settings.s3_access_key is not None
    assert settings.s3_secret_key is not None
    return cls(
        endpoint=settings.s3_endpoint,
        bucket=settings.s3_bucket,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key.get_secret_value(),
        secure=False,
        region=settings.s3_region,
        clock=clock,
    )


def store_at(settings: Settings, clock: Callable[[], datetime]) -> ObjectStore:
    """The backend's store, writing with ``clock``'s time."""
    if settings.object_store_kind is ObjectStoreKind.S3:
        return s3_store_at(settings, clock)
    return LocalObjectStore(settings.local_object_path, clock=clock)


def signed_result(pki: DevPki) -> bytes:
    """B's examination result for A: the document the failed and the retried submissions send."""
    content = signed_content.result(pki, "doctor2-ecdsa", recipient=FACILITY_A)
    return sign_cades(pki, content, signer="doctor2-ecdsa", level="B-LT", detached=False)


def submit(runtime: Container, parties: Parties, signed: bytes) -> SubmissionResult:
    return submit_document(
        runtime,
        principal=parties.b,
        submission=Submission(signed=io.BytesIO(signed), kind=DocumentKind.EXAMINATION_RESULT),
    )


@pytest.fixture
def orphan(runtime: Container, pki: DevPki) -> tuple[str, bytes]:
    """The signed bytes a commit failed to reference two hours ago: their key and bytes."""
    signed = signed_result(pki)
    key = content_key(hashlib.sha256(signed).hexdigest())
    then = utcnow() - 2 * GRACE
    old = store_at(runtime.settings, lambda: then)
    assert old.put(key, io.BytesIO(signed), length=len(signed)).created
    assert runtime.store.stat(key).modified_at == then
    return key, signed


class BeforeRemoval:
    """The real store, running ``hook`` once when reconcile reaches its removal step."""

    def __init__(self, store: ObjectStore, hook: Callable[[], None]) -> None:
        self._store = store
        self._hook: Callable[[], None] | None = hook

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def remove_orphan(self, key: str, *, unchanged_since: datetime) -> bool:
        if self._hook is not None:
            hook, self._hook = self._hook, None
            hook()
        return self._store.remove_orphan(key, unchanged_since=unchanged_since)


def test_a_retried_submission_committing_during_reconcile_keeps_its_bytes(
    runtime: Container, parties: Parties, orphan: tuple[str, bytes]
) -> None:
    key, signed = orphan
    committed: list[SubmissionResult] = []

    def retried_submission() -> None:
        # Reconcile has listed the store and found no reference; now the retry runs whole.
        committed.append(submit(runtime, parties, signed))

    store = BeforeRemoval(runtime.store, retried_submission)
    report = reconcile_storage(sessions=runtime.sessions, store=store, grace=GRACE)

    assert [content_key(result.document.sha256) for result in committed] == [key]
    assert [result.created for result in committed] == [True]
    assert report.orphans == [key]
    assert (report.removed, report.too_recent, report.kept) == ([], [], [key])
    with runtime.store.open(key) as reader:
        assert reader.read() == signed
    # And once committed it is referenced, so later runs leave it alone for good.
    later = reconcile_storage(sessions=runtime.sessions, store=runtime.store, grace=timedelta(0))
    assert (later.orphans, later.missing) == ([], [])


def test_without_a_concurrent_submission_the_old_orphan_goes(
    runtime: Container, orphan: tuple[str, bytes]
) -> None:
    # The same run with a hook that does nothing: what the race test would see if the
    # deduplicated put did not count as a write.
    key, _ = orphan
    store = BeforeRemoval(runtime.store, lambda: None)
    report = reconcile_storage(sessions=runtime.sessions, store=store, grace=GRACE)
    assert (report.removed, report.kept) == ([key], [])
    assert not runtime.store.exists(key)


def test_a_deduplicated_put_refreshes_the_age(
    runtime: Container, orphan: tuple[str, bytes]
) -> None:
    key, signed = orphan
    before = utcnow()
    again = runtime.store.put(key, io.BytesIO(signed), length=len(signed))
    assert again.created is False
    info = runtime.store.stat(key)
    assert info.modified_at >= before
    assert info.sha256 == hashlib.sha256(signed).hexdigest()
    assert runtime.store.remove_orphan(key, unchanged_since=before) is False
    assert runtime.store.exists(key)


def test_objects_named_by_a_manifest_are_referenced(
    runtime: Container, parties: Parties, pki: DevPki, orphan: tuple[str, bytes]
) -> None:
    key, _ = orphan
    content = signed_content.result(
        pki, "doctor2-ecdsa", patient=signed_content.OTHER_PATIENT, recipient=FACILITY_A
    )
    other = submit(
        runtime,
        parties,
        sign_cades(pki, content, signer="doctor2-ecdsa", level="B-LT", detached=False),
    )
    # A medical document's manifest is stored beside it; here the orphan plays that part.
    with unit_of_work(runtime.sessions) as session:
        session.execute(
            update(Document).where(Document.id == other.document.id).values(manifest_object_key=key)
        )
    report = reconcile_storage(sessions=runtime.sessions, store=runtime.store, grace=timedelta(0))
    assert key not in report.orphans
    assert report.removed == []
    assert runtime.store.exists(key)


class HookedS3(S3ObjectStore):
    """SeaweedFS for real, with a hook run when the removal deletes a given key."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hooks: dict[str, Callable[[], None]] = {}

    def delete(self, key: str) -> None:
        hook = self.hooks.pop(f"before:{key}", None)
        if hook is not None:
            hook()
        super().delete(key)
        hook = self.hooks.pop(f"after:{key}", None)
        if hook is not None:
            hook()


@pytest.fixture
def hooked(runtime: Container) -> HookedS3:
    """The S3 tests' bucket through :class:`HookedS3` (they run on postgres-s3 only)."""
    store = s3_store_at(runtime.settings, utcnow, HookedS3)
    assert isinstance(store, HookedS3)
    return store


@pytest.mark.parametrize("backend_name", ["postgres-s3"])
def test_s3_a_put_between_the_check_and_the_delete_fails_and_stores_nothing_stale(
    hooked: HookedS3, orphan: tuple[str, bytes]
) -> None:
    # The put's refresh lands after the removal judged the object old: the put sees the
    # marker and fails, so its submission does not commit; the retry after stores anew.
    key, signed = orphan
    refused: list[StorageUnavailableError] = []

    def concurrent_put() -> None:
        with pytest.raises(StorageUnavailableError) as caught:
            hooked.put(key, io.BytesIO(signed), length=len(signed))
        refused.append(caught.value)

    hooked.hooks[f"before:{key}"] = concurrent_put
    assert hooked.remove_orphan(key, unchanged_since=utcnow() - GRACE) is True
    assert [str(e) for e in refused] == [
        f"S3 cannot store {key!r}: reconciliation is removing it; retry"
    ]
    assert not hooked.exists(key)
    assert not hooked.exists(RECONCILE_MARKER_PREFIX + key)
    assert hooked.put(key, io.BytesIO(signed), length=len(signed)).created is True


@pytest.mark.parametrize("backend_name", ["postgres-s3"])
def test_s3_a_put_after_the_delete_stores_the_bytes_again(
    hooked: HookedS3, orphan: tuple[str, bytes]
) -> None:
    key, signed = orphan
    stored: list[bool] = []
    hooked.hooks[f"after:{key}"] = lambda: stored.append(
        hooked.put(key, io.BytesIO(signed), length=len(signed)).created
    )
    assert hooked.remove_orphan(key, unchanged_since=utcnow() - GRACE) is True
    assert stored == [True]
    with hooked.open(key) as reader:
        assert reader.read() == signed


@pytest.mark.parametrize("backend_name", ["postgres-s3"])
def test_s3_a_second_reconciler_leaves_the_key_to_the_first(
    hooked: HookedS3, orphan: tuple[str, bytes]
) -> None:
    key, _ = orphan
    outcomes: list[bool] = []
    cutoff = utcnow() - GRACE
    hooked.hooks[f"before:{key}"] = lambda: outcomes.append(
        hooked.remove_orphan(key, unchanged_since=cutoff)
    )
    assert hooked.remove_orphan(key, unchanged_since=cutoff) is True
    assert outcomes == [False]


@pytest.mark.parametrize("backend_name", ["postgres-s3"])
def test_s3_a_dead_reconcilers_marker_blocks_puts_until_cleared(
    runtime: Container, orphan: tuple[str, bytes]
) -> None:
    key, signed = orphan
    then = utcnow() - 2 * GRACE
    old = store_at(runtime.settings, lambda: then)
    old.put(RECONCILE_MARKER_PREFIX + key, io.BytesIO(b"reconcile"))
    with pytest.raises(StorageUnavailableError, match="reconciliation is removing it"):
        runtime.store.put(key, io.BytesIO(signed), length=len(signed))
    report = reconcile_storage(sessions=runtime.sessions, store=runtime.store, grace=GRACE)
    assert report.cleared_markers == [key]
    assert runtime.store.put(key, io.BytesIO(signed), length=len(signed)).created is False
