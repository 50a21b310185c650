"""The object store interface: where the original signed bytes of every document live.

Objects are immutable. Keys are content-addressed (:func:`content_key`), so a second
``put`` of the same key is a retry of the same document: the store checks that the bytes
are the same and returns the existing object instead of overwriting it — but refreshes its
age, so that a deduplicated put counts as a write for :meth:`ObjectStore.remove_orphan`.

Why the refresh. Submission puts the bytes, then commits the row that references them;
``docex storage reconcile`` removes unreferenced objects older than a grace period. A
retried upload of bytes an earlier failed commit orphaned hours ago deduplicates; without
the refresh the object stays "old", and a reconcile that read the references just before
the retry commits would delete the bytes of a document committed a moment later. With it,
``remove_orphan(key, unchanged_since=start - grace)`` removes the object only if no put
wrote or refreshed it since, and each store makes that check and the removal atomic
against a concurrent put (the local store with a lock file, S3 with a marker protocol).
What remains assumed is that a submission commits within the grace period of its put.

Every implementation streams: neither ``put`` nor ``open`` holds a whole object in memory,
and none lets its client library's exceptions escape — callers see only
:class:`~docex.errors.StorageError` and its subclasses.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from docex.errors import ObjectIntegrityError

CHUNK_SIZE = 1024 * 1024
"""How many bytes the stores read or write at a time."""

DEFAULT_CONTENT_TYPE = "application/octet-stream"

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# Path-like keys that are safe both as S3 names and as relative file paths: no empty,
# "." or ".." segments, and no segment starting with a dot, which leaves dot-names free
# for the local store's own bookkeeping.
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._=-]*(/[A-Za-z0-9][A-Za-z0-9._=-]*)*")
MAX_KEY_LENGTH = 512


def content_key(sha256_hex: str) -> str:
    """The key of an object whose SHA-256 is ``sha256_hex``: ``sha256/ab/cd/abcd…``.

    Two levels of fan-out keep local folders small; S3 does not care.
    """
    if not _SHA256_HEX.fullmatch(sha256_hex):
        raise ValueError("sha256_hex must be 64 lowercase hexadecimal digits")
    return f"sha256/{sha256_hex[:2]}/{sha256_hex[2:4]}/{sha256_hex}"


def check_key(key: str) -> str:
    """Return ``key`` if it is a valid object key, else raise ``ValueError``.

    A bad key is a programming error, not a storage condition, hence ``ValueError``.
    """
    if len(key) > MAX_KEY_LENGTH or not _KEY.fullmatch(key):
        raise ValueError(f"invalid object key {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    """Return ``prefix`` if keys can start with it (``""`` lists everything)."""
    if prefix and not _KEY.fullmatch(prefix.rstrip("/")):
        raise ValueError(f"invalid key prefix {prefix!r}")
    return prefix


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What the store knows about one stored object."""

    key: str
    size: int
    content_type: str
    sha256: str | None
    """Hex SHA-256 recorded when the object was stored; ``None`` if it was stored by
    something other than docex and never hashed."""
    modified_at: datetime
    """When the object was stored (timezone-aware, UTC)."""


@dataclass(frozen=True, slots=True)
class StoredObject:
    """The outcome of :meth:`ObjectStore.put`."""

    key: str
    size: int
    sha256: str
    content_type: str
    created: bool
    """``True`` if this call wrote the object; ``False`` if identical bytes were already
    stored under the key. Only a caller that created an object may consider removing it."""


class ReadableStream(Protocol):
    """The one method ``put`` needs from its input: a binary file, a socket reader..."""

    def read(self, size: int = -1, /) -> bytes: ...


class ObjectReader:
    """The bytes of one stored object, read lazily; close it or use it as a context manager.

    Iterate for chunks of at most :data:`CHUNK_SIZE` bytes, or call ``read``.
    """

    def __init__(
        self, *, info: ObjectInfo, chunks: Iterator[bytes], close: Callable[[], None]
    ) -> None:
        self.info = info
        self._chunks = chunks
        self._close = close
        self._buffer = b""
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        if self._buffer:
            buffered, self._buffer = self._buffer, b""
            yield buffered
        yield from self._chunks

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes (all remaining bytes if negative); ``b""`` at the end."""
        if size < 0:
            return b"".join(self)
        while len(self._buffer) < size:
            chunk = next(self._chunks, b"")
            if not chunk:
                break
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def close(self) -> None:
        """Release the file or connection behind the reader; safe to call twice."""
        if not self._closed:
            self._closed = True
            self._close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class HashingReader:
    """Wraps a stream to hash and count what is read, and to enforce what the caller declared.

    The checks fire on the read that reaches the end of the stream, before the store
    commits the object, so a short, long or corrupted stream never lands under its key.
    """

    def __init__(
        self,
        stream: ReadableStream,
        *,
        length: int | None = None,
        sha256: str | None = None,
    ) -> None:
        self._stream = stream
        self._length = length
        self._expected_sha256 = sha256
        self._hash = hashlib.sha256()
        self.size = 0
        self.finished = False
        self.source_failed = False
        """Whether reading the wrapped stream raised: the caller's error, not the store's."""

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of what has been read so far."""
        return self._hash.hexdigest()

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes, fewer only at the end; ``ObjectIntegrityError`` on a mismatch.

        Unlike a file's, ``read()`` without a size returns one chunk rather than
        everything: this reader exists to avoid holding whole objects. Short reads of the
        wrapped stream are joined, so that callers filling a buffer (minio filling an
        upload part) get it in one piece instead of concatenating many small ones.
        """
        if size < 0:
            size = CHUNK_SIZE
        pieces: list[bytes] = []
        wanted = size
        while wanted > 0:
            try:
                data = self._stream.read(wanted)
            except BaseException:
                self.source_failed = True
                raise
            if not data:
                self._finish()
                break
            self.size += len(data)
            if self._length is not None and self.size > self._length:
                raise ObjectIntegrityError(f"stream exceeds the declared {self._length} bytes")
            self._hash.update(data)
            pieces.append(data)
            wanted -= len(data)
        if self._length is not None and self.size == self._length and not self.finished:
            # A reader that stops at the declared length (minio does, given the length)
            # would never see the end; look for it now, before the object is committed.
            if self._stream.read(1):
                raise ObjectIntegrityError(f"stream exceeds the declared {self._length} bytes")
            self._finish()
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def drain(self) -> None:
        """Read (and check) the rest of the stream without keeping it."""
        while self.read(CHUNK_SIZE):
            pass

    def _finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        if self._length is not None and self.size != self._length:
            raise ObjectIntegrityError(
                f"stream has {self.size} bytes, {self._length} were declared"
            )
        if self._expected_sha256 is not None and self.sha256 != self._expected_sha256:
            raise ObjectIntegrityError("stream does not match the declared SHA-256")


class ObjectStore(Protocol):
    """Immutable, content-addressed blob storage for original signed documents.

    Implementations: :class:`~docex.storage.local.LocalObjectStore` (a folder) and
    :class:`~docex.storage.s3.S3ObjectStore` (any S3-compatible server); pick one with
    :func:`~docex.storage.factory.open_object_store`.

    Every method raises ``StorageUnavailableError`` when the backing system cannot be
    reached, and ``ValueError`` for a malformed key.
    """

    def ensure_ready(self) -> None:
        """Create the folder or bucket if missing; raise ``StorageUnavailableError`` if
        the store cannot be reached. Cheap enough for a readiness probe."""
        ...

    def put(
        self,
        key: str,
        stream: ReadableStream,
        *,
        length: int | None = None,
        sha256: str | None = None,
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> StoredObject:
        """Store the bytes read from ``stream`` under ``key``, unless they are there already.

        The stream is read to its end in chunks. ``length`` and ``sha256``, if given, are
        checked before the object becomes visible (``ObjectIntegrityError``). If ``key``
        exists, the stream is still read and hashed: identical bytes return the existing
        object with ``created=False`` after refreshing its ``modified_at`` to now (see the
        module docstring); different bytes raise ``ObjectConflictError``.
        An exception raised by ``stream.read`` itself (a client that went away) passes
        through unchanged, and nothing is stored.
        """
        ...

    def open(self, key: str) -> ObjectReader:
        """A reader over the object's bytes; ``ObjectNotFoundError`` if there is none."""
        ...

    def stat(self, key: str) -> ObjectInfo:
        """Size, type and digest of the object; ``ObjectNotFoundError`` if there is none."""
        ...

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; removing a missing object is not an error (as in S3).

        Only reconciliation should call this: documents are never deleted in normal use.
        """
        ...

    def remove_orphan(self, key: str, *, unchanged_since: datetime) -> bool:
        """Remove the object unless it was written or refreshed at or after ``unchanged_since``.

        For reconciliation. Atomic against :meth:`put` of the same key: a put that returns
        while or after this runs either refreshed the object before this looked at it
        (which then keeps it), or finds the removal and stores the bytes again or raises
        ``StorageUnavailableError``. Returns whether the object was removed; ``False`` for
        a missing object or one another reconciler is removing.
        """
        ...

    def clear_stale_markers(self, *, older_than: datetime) -> list[str]:
        """Undo what a reconciler that died in :meth:`remove_orphan` left behind, if older
        than ``older_than``; the keys it concerned."""
        ...

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every key starting with ``prefix``, lazily, in no promised order.

        S3 promises lexicographic order but SeaweedFS lists folder by folder ("a/b"
        before "a.b"); callers that need an order sort.
        """
        ...

    def iter_hidden_keys(self, prefix: str = "") -> Iterator[str]:
        """Keys starting with ``prefix`` that a delete hid but whose bytes the store still
        keeps: in a versioned S3 bucket, keys whose latest version is a delete marker over
        an older version. :meth:`iter_keys` does not list them. A store without versions
        has none (a delete there is final).
        """
        ...


def same_content(info: ObjectInfo, incoming: HashingReader) -> bool:
    """Whether a drained ``incoming`` stream has the bytes ``info`` describes."""
    return info.size == incoming.size and info.sha256 == incoming.sha256
