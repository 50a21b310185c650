"""An object store on any S3-compatible server (MinIO, SeaweedFS, Ceph, AWS S3).

This is the only module that imports ``minio``; its exceptions and urllib3's are
translated here into :mod:`docex.errors`.

An object of at most :data:`PART_SIZE` bytes (every signed document of usual size) is
sent in one ``PUT`` with ``If-None-Match: *``, S3's "create if absent": the server refuses
it with ``412`` if the key exists, and only then is the existing object looked at. One
request per object, and no window in which two uploads both create the same key. AWS S3,
MinIO, Ceph and SeaweedFS honour the header; a server that ignored it would overwrite,
which with content-addressed keys rewrites the same bytes.

A ``put`` that finds identical bytes already stored *refreshes* them: a server-side copy
of the object onto itself with its metadata replaced, which gives it a new Last-Modified
(and, in a versioned bucket, a new version) without sending the bytes again. That is half
of the protocol that keeps ``docex storage reconcile`` from removing bytes a submission is
about to reference; :meth:`S3ObjectStore.remove_orphan` is the other half, and its
docstring gives the argument.

With ``object_lock_days`` every object written (and every refresh) carries a GOVERNANCE
retention of that many days; the bucket must have been created with object lock.

Larger uploads stream in parts of :data:`PART_SIZE` bytes, about two in memory at a time,
after a ``HEAD`` for an existing object (a multipart upload cannot be made conditional
through ``minio``). S3 makes an object visible only when its upload completes, and the
integrity checks of :class:`~docex.storage.base.HashingReader` fire before the final part
is sent, so no partial or corrupted object appears under its key. Two multipart uploads
racing for the same new key may both report ``created=True``; with content-addressed keys
both wrote the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import NoReturn

import urllib3
from minio import Minio
from minio.commonconfig import GOVERNANCE, REPLACE, CopySource
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from minio.helpers import DictType
from minio.retention import Retention
from urllib3.exceptions import HTTPError

from docex.clock import utcnow
from docex.errors import (
    ObjectConflictError,
    ObjectNotFoundError,
    StorageError,
    StorageUnavailableError,
)
from docex.storage.base import (
    CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    HashingReader,
    ObjectInfo,
    ObjectReader,
    ReadableStream,
    StoredObject,
    check_key,
    check_prefix,
    same_content,
)

PART_SIZE = 5 * 1024 * 1024
"""Multipart upload part size, the smallest S3 allows: an upload holds about two in memory."""

_SHA256_META = "sha256"
# When docex last wrote or refreshed the object, to the microsecond. Last-Modified has
# whole seconds only; this is what ``modified_at`` reports when present.
_STORED_AT_META = "docex-stored-at"
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchObject"})
_TRANSIENT_CODES = frozenset(
    {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "RequestTimeTooSkewed"}
)
_KEY_TAKEN_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
_BUCKET_MINE_CODES = frozenset({"BucketAlreadyOwnedByYou", "BucketAlreadyExists"})

RECONCILE_MARKER_PREFIX = "reconcile/"
"""Where :meth:`S3ObjectStore.remove_orphan` announces the key it is about to remove.

Outside ``sha256/``, so neither reconcile's listing nor content keys ever meet a marker."""


def _raise_translated(exc: Exception, what: str, key: str | None = None) -> NoReturn:
    if isinstance(exc, S3Error):
        if exc.code in _NOT_FOUND_CODES and key is not None:
            raise ObjectNotFoundError(key) from exc
        if exc.code in _TRANSIENT_CODES:
            raise StorageUnavailableError(f"S3 {what}: {exc.code}: {exc.message}") from exc
        raise StorageError(f"S3 {what}: {exc.code}: {exc.message}") from exc
    if isinstance(exc, ServerError | InvalidResponseError | HTTPError):
        raise StorageUnavailableError(f"S3 {what}: {exc}") from exc
    raise StorageError(f"S3 {what}: {exc}") from exc


def make_http_client() -> urllib3.PoolManager:
    """The HTTP pool the S3 client uses.

    minio's default retries five times and waits up to five minutes per read; a request
    handler waiting on a dead store should give up in seconds and answer 503 instead.
    """
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=5.0, read=60.0),
        maxsize=16,
        retries=urllib3.Retry(
            total=2,
            backoff_factor=0.2,
            status_forcelist=[500, 502, 503, 504],
        ),
    )


class S3ObjectStore:
    """:class:`~docex.storage.base.ObjectStore` in one bucket of an S3-compatible server."""

    def __init__(
        self,
        *,
        endpoint: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        secure: bool = True,
        region: str | None = None,
        http_client: urllib3.PoolManager | None = None,
        object_lock_days: int = 0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if object_lock_days < 0:
            raise ValueError("object_lock_days must not be negative")
        self.bucket = bucket
        self.endpoint = endpoint
        self.object_lock_days = object_lock_days
        # What a write or a refresh records as the object's modification time.
        self._clock = clock
        self._client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=http_client or make_http_client(),
        )

    def __repr__(self) -> str:
        return f"S3ObjectStore(endpoint={self.endpoint!r}, bucket={self.bucket!r})"

    def ensure_ready(self) -> None:
        """Create the bucket if it does not exist yet."""
        try:
            if not self._client.bucket_exists(self.bucket):
                self._client.make_bucket(self.bucket)
        except S3Error as exc:
            # Another worker created it between our check and our request.
            if exc.code not in _BUCKET_MINE_CODES:
                _raise_translated(exc, f"cannot create bucket {self.bucket}")
        except (MinioException, HTTPError) as exc:
            _raise_translated(exc, f"cannot reach bucket {self.bucket}")

    def put(
        self,
        key: str,
        stream: ReadableStream,
        *,
        length: int | None = None,
        sha256: str | None = None,
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> StoredObject:
        """See :meth:`ObjectStore.put`."""
        check_key(key)
        incoming = HashingReader(stream, length=length, sha256=sha256)
        if length is not None and length <= PART_SIZE:
            return self._put_if_absent(key, incoming, length=length, content_type=content_type)
        try:
            existing = self._stat_or_none(key)
            if existing is not None:
                incoming.drain()
                stored = self._existing(existing, incoming)
                if not self._refreshed(stored):
                    # Removed as an orphan after our stat; the stream is spent, so the
                    # caller must send it again (its submission has not committed).
                    raise StorageUnavailableError(
                        f"S3 cannot store {key!r}: removed by reconciliation meanwhile; retry"
                    )
                return stored
            self._client.put_object(
                self.bucket,
                key,
                incoming,  # type: ignore[arg-type]  # minio only calls read()
                # With the length known minio sends parts without buffering one extra;
                # either way HashingReader checks length and digest before the last part.
                length=-1 if length is None else length,
                part_size=PART_SIZE,
                content_type=content_type,
                # Recorded so that a retried upload can be compared without a download.
                metadata={
                    _STORED_AT_META: self._clock().isoformat(),
                    **({_SHA256_META: sha256} if sha256 is not None else {}),
                },
                # One part in flight keeps memory at one part per upload.
                num_parallel_uploads=1,
                retention=self._retention(),
            )
        except (MinioException, HTTPError) as exc:
            _raise_translated(exc, f"cannot store {key!r}", key)
        if not incoming.finished:
            raise StorageError(f"S3 upload of {key!r} ended before the stream did")
        return _created(key, incoming, content_type)

    def put_retained(
        self, key: str, data: bytes, *, content_type: str, retain_until: datetime
    ) -> StoredObject:
        """Store small ``data`` under ``key`` with an S3 Object Lock retention.

        COMPLIANCE mode: until ``retain_until`` nobody, the bucket owner included, can
        delete or overwrite this version of the object. The bucket must have been created
        with object lock enabled; a server refusing the headers (a bucket without object
        lock answers ``InvalidRequest``) raises ``StorageError``, rather than storing the
        object without the protection asked for.
        """
        if retain_until.tzinfo is None:
            raise ValueError("retain_until must be timezone-aware")
        if len(data) > PART_SIZE:
            raise ValueError("retained objects are small: one PUT")
        check_key(key)
        incoming = HashingReader(io.BytesIO(data), length=len(data))
        until = retain_until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        lock: DictType = {
            "x-amz-object-lock-mode": "COMPLIANCE",
            "x-amz-object-lock-retain-until-date": until,
        }  # with the Content-MD5 every single-PUT write carries (_write_headers)
        return self._put_if_absent(
            key, incoming, length=len(data), content_type=content_type, extra_headers=lock
        )

    def _put_if_absent(
        self,
        key: str,
        incoming: HashingReader,
        *,
        length: int,
        content_type: str,
        extra_headers: DictType | None = None,
    ) -> StoredObject:
        """One conditional ``PUT`` of a small object; the existing one if the key is taken."""
        # Read whole (at most one part, as minio would buffer it): the length and digest
        # checks fire here, before anything is sent.
        data = incoming.read(length)
        if not incoming.finished:
            incoming.drain()  # an empty stream, or one shorter than declared: raises
        headers: DictType = {
            "Content-Type": content_type,
            "If-None-Match": "*",
            f"x-amz-meta-{_SHA256_META}": incoming.sha256,
            f"x-amz-meta-{_STORED_AT_META}": self._clock().isoformat(),
            **self._write_headers(data),
            # Last: a caller's retention (a checkpoint's) replaces the store's default one.
            **(extra_headers or {}),
        }
        # Twice at most: a second time only if reconciliation removed the old copy of these
        # bytes between our conditional PUT and our refresh of it.
        for _attempt in range(2):
            if self._create_if_absent(key, data, headers):
                return _created(key, incoming, content_type)
            # 412: the key exists. 409: another conditional upload of it is in flight; its
            # object is there once that one completes, or the store is busy: retry later.
            existing = self._stat_or_none_translated(key)
            if existing is None:
                raise StorageUnavailableError(f"S3 cannot store {key!r}: a concurrent upload")
            stored = self._existing(existing, incoming)
            if self._refreshed(stored):
                return stored
        raise StorageUnavailableError(f"S3 cannot store {key!r}: removed meanwhile; retry")

    def _create_if_absent(self, key: str, data: bytes, headers: DictType) -> bool:
        """One ``PUT`` with ``If-None-Match: *``: whether it created the object."""
        try:
            # minio's public put_object turns unknown headers into user metadata, so the
            # single-part call it makes itself is made here with the conditional header.
            self._client._put_object(self.bucket, key, data, headers=dict(headers))
        except S3Error as exc:
            if exc.code not in _KEY_TAKEN_CODES:
                _raise_translated(exc, f"cannot store {key!r}", key)
            return False
        except (MinioException, HTTPError) as exc:
            _raise_translated(exc, f"cannot store {key!r}", key)
        return True

    def _retention(self) -> Retention | None:
        if not self.object_lock_days:
            return None
        # From the real time, not ``self._clock``: the server refuses a retention that
        # ends in the past, and the clock is only what the object records as its age.
        until = datetime.now(UTC) + timedelta(days=self.object_lock_days)
        return Retention(GOVERNANCE, until)

    def _write_headers(self, data: bytes) -> DictType:
        """Headers of a single-``PUT`` write of ``data``: its MD5 and any retention."""
        headers: DictType = {
            # S3 requires a payload checksum on writes to a bucket with object lock, even
            # under its default retention; over plain HTTP minio signs the body's SHA-256
            # but sends no Content-MD5.
            "Content-MD5": base64.b64encode(
                hashlib.md5(data, usedforsecurity=False).digest()
            ).decode(),
        }
        retention = self._retention()
        if retention is not None:
            until = retention.retain_until_date.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            headers["x-amz-object-lock-mode"] = GOVERNANCE
            headers["x-amz-object-lock-retain-until-date"] = until
        return headers

    def _refreshed(self, stored: StoredObject) -> bool:
        """Make a deduplicated put count as a new write; ``False`` if the object is gone.

        The copy onto itself moves Last-Modified to now (see the module docstring). Then,
        in this order: a reconcile marker on the key means a removal may be under way, so
        the put fails and the caller retries; and the object must still exist, since a
        removal that ended after our refresh (it judged the object by an earlier stat)
        leaves no marker behind.
        """
        key = stored.key
        metadata: DictType = {
            "Content-Type": stored.content_type,
            _SHA256_META: stored.sha256,
            _STORED_AT_META: self._clock().isoformat(),
        }
        try:
            self._client.copy_object(
                self.bucket,
                key,
                CopySource(self.bucket, key),
                metadata=metadata,
                metadata_directive=REPLACE,
                retention=self._retention(),
            )
        except S3Error as exc:
            if exc.code in _NOT_FOUND_CODES:
                return False
            _raise_translated(exc, f"cannot refresh {key!r}", key)
        except (MinioException, HTTPError) as exc:
            _raise_translated(exc, f"cannot refresh {key!r}", key)
        if self._stat_or_none_translated(RECONCILE_MARKER_PREFIX + key) is not None:
            raise StorageUnavailableError(
                f"S3 cannot store {key!r}: reconciliation is removing it; retry"
            )
        return self._stat_or_none_translated(key) is not None

    def _stat_or_none_translated(self, key: str) -> ObjectInfo | None:
        try:
            return self._stat_or_none(key)
        except (MinioException, HTTPError) as exc:
            _raise_translated(exc, f"cannot stat {key!r}", key)

    def _existing(self, info: ObjectInfo, incoming: HashingReader) -> StoredObject:
        if info.sha256 is None:
            info = self._with_computed_sha256(info)
        if not same_content(info, incoming):
            raise ObjectConflictError(info.key)
        return StoredObject(
            key=info.key,
            size=info.size,
            sha256=incoming.sha256,
            content_type=info.content_type,
            created=False,
        )

    def _with_computed_sha256(self, info: ObjectInfo) -> ObjectInfo:
        with self.open(info.key) as reader:
            hashing = HashingReader(reader)
            hashing.drain()
        return ObjectInfo(
            key=info.key,
            size=info.size,
            content_type=info.content_type,
            sha256=hashing.sha256,
            modified_at=info.modified_at,
        )

    def _stat_or_none(self, key: str) -> ObjectInfo | None:
        try:
            stat = self._client.stat_object(self.bucket, key)
        except S3Error as exc:
            if exc.code in _NOT_FOUND_CODES:
                return None
            raise
        metadata = stat.metadata or {}
        return ObjectInfo(
            key=key,
            size=stat.size or 0,
            content_type=stat.content_type or DEFAULT_CONTENT_TYPE,
            sha256=metadata.get(f"x-amz-meta-{_SHA256_META}"),
            modified_at=_modified_at(
                metadata.get(f"x-amz-meta-{_STORED_AT_META}"), stat.last_modified
            ),
        )

    def stat(self, key: str) -> ObjectInfo:
        """See :meth:`ObjectStore.stat`."""
        check_key(key)
        info = self._stat_or_none_translated(key)
        if info is None:
            raise ObjectNotFoundError(key)
        return info

    def exists(self, key: str) -> bool:
        """See :meth:`ObjectStore.exists`."""
        check_key(key)
        return self._stat_or_none_translated(key) is not None

    def open(self, key: str) -> ObjectReader:
        """See :meth:`ObjectStore.open`."""
        check_key(key)
        try:
            response = self._client.get_object(self.bucket, key)
        except (MinioException, HTTPError) as exc:
            _raise_translated(exc, f"cannot read {key!r}", key)
        headers = response.headers
        last_modified = headers.get("Last-Modified")
        info = ObjectInfo(
            key=key,
            size=int(headers.get("Content-Length", "0")),
            content_type=headers.get("Content-Type", DEFAULT_CONTENT_TYPE),
            sha256=headers.get(f"x-amz-meta-{_SHA256_META}"),
            modified_at=_modified_at(
                headers.get(f"x-amz-meta-{_STORED_AT_META}"),
                parsedate_to_datetime(last_modified) if last_modified else None,
            ),
        )

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.stream(CHUNK_SIZE)
            except HTTPError as exc:
                _raise_translated(exc, f"cannot read {key!r}", key)

        def close() -> None:
            response.close()
            response.release_conn()

        return ObjectReader(info=info, chunks=chunks(), close=close)

    def delete(self, key: str) -> None:
        """See :meth:`ObjectStore.delete`."""
        check_key(key)
        try:
            self._client.remove_object(self.bucket, key)
        except (MinioException, HTTPError) as exc:
            _raise_translated(exc, f"cannot delete {key!r}", key)

    def remove_orphan(self, key: str, *, unchanged_since: datetime) -> bool:
        """See :meth:`ObjectStore.remove_orphan`.

        S3 has no "delete unless modified since", so the removal and a deduplicated put
        each write before they read what the other wrote, and at least one of them sees
        the other. Removal: (A) create ``reconcile/<key>`` with ``If-None-Match: *`` (a
        second reconciler of the same key gives up), (S) stat the object and give up if it
        was written or refreshed at or after ``unchanged_since``, (D) delete it, (Z) delete
        the marker. A put that finds the bytes stored: (P) refresh them, (L) fail if the
        marker exists, (E) succeed only if the object still exists. If D removed the bytes
        of a put that succeeded: L saw no marker, so L came before A — and then S, after
        P, saw the refresh and D never happened — or after Z, and then E, after D, saw the
        object gone. (S sees the refresh as recent because a submission commits within the
        grace period of its put; reconcile's ``unchanged_since`` is its start minus that
        period.) Reads are strongly consistent on AWS S3, MinIO and SeaweedFS, which the
        argument needs.

        In a versioned bucket (the production one, which has object lock) the delete adds
        a delete marker: the bytes stay as a noncurrent version, under its retention, until
        a lifecycle rule expires them. A marker left by a crashed reconcile makes puts of
        that key fail until :meth:`clear_stale_markers` removes it.
        """
        check_key(key)
        marker = RECONCILE_MARKER_PREFIX + key
        if not self._create_if_absent(
            marker, b"reconcile", {"If-None-Match": "*", **self._write_headers(b"reconcile")}
        ):
            return False
        try:
            info = self._stat_or_none_translated(key)
            if info is None or info.modified_at >= unchanged_since:
                return False
            self.delete(key)
            return True
        finally:
            self.delete(marker)

    def clear_stale_markers(self, *, older_than: datetime) -> list[str]:
        """Remove reconcile markers last written before ``older_than``; their keys.

        A marker outlives its removal only if the reconciler died between its steps; one
        older than any removal could take is safe to clear.
        """
        cleared: list[str] = []
        for marker in list(self.iter_keys(RECONCILE_MARKER_PREFIX)):
            info = self._stat_or_none_translated(marker)
            if info is not None and info.modified_at < older_than:
                self.delete(marker)
                cleared.append(marker.removeprefix(RECONCILE_MARKER_PREFIX))
        return cleared

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """See :meth:`ObjectStore.iter_keys`."""
        check_prefix(prefix)
        try:
            for obj in self._client.list_objects(self.bucket, prefix=prefix, recursive=True):
                if obj.object_name is not None and not obj.is_dir:
                    yield obj.object_name
        except (MinioException, HTTPError) as exc:
            _raise_translated(exc, "cannot list objects")

    def iter_hidden_keys(self, prefix: str = "") -> Iterator[str]:
        """See :meth:`ObjectStore.iter_hidden_keys`: the bucket's versions, listed."""
        check_prefix(prefix)
        latest_is_marker: dict[str, bool] = {}
        kept: set[str] = set()
        try:
            versions = self._client.list_objects(
                self.bucket, prefix=prefix, recursive=True, include_version=True
            )
            for obj in versions:
                name = obj.object_name
                if name is None or obj.is_dir:
                    continue
                if obj.is_latest == "true":
                    latest_is_marker[name] = bool(obj.is_delete_marker)
                if not obj.is_delete_marker:
                    kept.add(name)
        except (MinioException, HTTPError) as exc:
            _raise_translated(exc, "cannot list object versions")
        for name, hidden in latest_is_marker.items():
            if hidden and name in kept:
                yield name


def _modified_at(stored_at: str | None, last_modified: datetime | None) -> datetime:
    """Our own timestamp if the object carries a valid one, else the server's."""
    if stored_at:
        try:
            moment = datetime.fromisoformat(stored_at)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment.astimezone(UTC)
    if last_modified is not None:
        return last_modified.astimezone(UTC)
    return utcnow()


def _created(key: str, incoming: HashingReader, content_type: str) -> StoredObject:
    return StoredObject(
        key=key,
        size=incoming.size,
        sha256=incoming.sha256,
        content_type=content_type,
        created=True,
    )
