"""An object store on any S3-compatible server (MinIO, SeaweedFS, Ceph, AWS S3).

This is the only module that imports ``minio``; its exceptions and urllib3's are
translated here into :mod:`docex.errors`.

An object of at most :data:`PART_SIZE` bytes (every signed document of usual size) is
sent in one ``PUT`` with ``If-None-Match: *``, S3's "create if absent": the server refuses
it with ``412`` if the key exists, and only then is the existing object looked at. One
request per object, and no window in which two uploads both create the same key. AWS S3,
MinIO, Ceph and SeaweedFS honour the header; a server that ignored it would overwrite,
which with content-addressed keys rewrites the same bytes.

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
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import NoReturn

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from minio.helpers import DictType
from urllib3.exceptions import HTTPError

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
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchObject"})
_TRANSIENT_CODES = frozenset(
    {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "RequestTimeTooSkewed"}
)
_KEY_TAKEN_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
_BUCKET_MINE_CODES = frozenset({"BucketAlreadyOwnedByYou", "BucketAlreadyExists"})


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
    ) -> None:
        self.bucket = bucket
        self.endpoint = endpoint
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
                return self._existing(existing, incoming)
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
                metadata={_SHA256_META: sha256} if sha256 is not None else None,
                # One part in flight keeps memory at one part per upload.
                num_parallel_uploads=1,
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
            # AWS requires a body checksum on a PUT carrying object-lock headers.
            "Content-MD5": base64.b64encode(hashlib.md5(data).digest()).decode("ascii"),  # noqa: S324  # S3's integrity header, not a security use
        }
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
            **(extra_headers or {}),
        }
        try:
            # minio's public put_object turns unknown headers into user metadata, so the
            # single-part call it makes itself is made here with the conditional header.
            self._client._put_object(self.bucket, key, data, headers=headers)
        except S3Error as exc:
            if exc.code not in _KEY_TAKEN_CODES:
                _raise_translated(exc, f"cannot store {key!r}", key)
        except (MinioException, HTTPError) as exc:
            _raise_translated(exc, f"cannot store {key!r}", key)
        else:
            return _created(key, incoming, content_type)
        # 412: the key exists. 409: another conditional upload of it is in flight; its
        # object is there once that one completes, or the store is busy: try again later.
        existing = self._stat_or_none_translated(key)
        if existing is None:
            raise StorageUnavailableError(f"S3 cannot store {key!r}: a concurrent upload")
        return self._existing(existing, incoming)

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
            modified_at=stat.last_modified or datetime.now(UTC),
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
            modified_at=(
                parsedate_to_datetime(last_modified).astimezone(UTC)
                if last_modified
                else datetime.now(UTC)
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

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """See :meth:`ObjectStore.iter_keys`."""
        check_prefix(prefix)
        try:
            for obj in self._client.list_objects(self.bucket, prefix=prefix, recursive=True):
                if obj.object_name is not None and not obj.is_dir:
                    yield obj.object_name
        except (MinioException, HTTPError) as exc:
            _raise_translated(exc, "cannot list objects")


def _created(key: str, incoming: HashingReader, content_type: str) -> StoredObject:
    return StoredObject(
        key=key,
        size=incoming.size,
        sha256=incoming.sha256,
        content_type=content_type,
        created=True,
    )
