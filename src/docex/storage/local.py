"""An object store in a local folder: the embedded default, and fine for one machine.

Layout under the root folder::

    <key>               the object's bytes, e.g. sha256/ab/cd/abcd…
    .meta/<key>.json    its content type and SHA-256
    .tmp/               uploads in progress
    .lock               serialises removals against deduplicated puts (``flock``)

An upload is written to ``.tmp``, flushed to disk, and then hard-linked to its final
name. ``link`` fails instead of replacing an existing file, so an object is never
overwritten, and because the final name appears only once the bytes are durable, a crash
never leaves a half-written object under its key. The metadata file is written after the
object; an object whose metadata was lost in a crash still reads back, with its digest
recomputed when needed.

A put of bytes already stored refreshes the file's modification time, and does so, like
every put that links a new file, under a shared ``flock`` of ``.lock``;
:meth:`LocalObjectStore.remove_orphan` checks the time and unlinks under an exclusive one.
So a removal either sees the refresh and keeps the file, or finishes before the put looks,
and the put then finds no file and links its own copy (see :mod:`docex.storage.base` for
why). Every put therefore writes its bytes to ``.tmp`` first, duplicates included.
The kernel drops the lock of a process that dies, so a crash leaves nothing to clean up.
The local store is for one machine: ``flock`` does not serialise across NFS clients.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

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

_META = ".meta"
_TMP = ".tmp"
_LOCK = ".lock"
# Temporary files older than this are leftovers of crashed uploads.
_STALE_TMP_SECONDS = 24 * 3600
# Conditions that may clear up on their own, so callers should retry rather than fail.
_TRANSIENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EAGAIN})


def _storage_error(exc: OSError, what: str) -> StorageError:
    if exc.errno in _TRANSIENT_ERRNOS:
        return StorageUnavailableError(f"local object store: {what}: {exc.strerror}")
    return StorageError(f"local object store: {what}: {exc.strerror or exc}")


def _fsync_dir(path: Path) -> None:
    # Renames and links are durable only once the directory entry itself is flushed.
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalObjectStore:
    """:class:`~docex.storage.base.ObjectStore` in a folder of the local file system."""

    def __init__(self, root: Path, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.root = root
        # What a write or a refresh stamps as the file's modification time.
        self._clock = clock

    def __repr__(self) -> str:
        return f"LocalObjectStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _meta_path(self, key: str) -> Path:
        return self.root / _META / f"{check_key(key)}.json"

    def ensure_ready(self) -> None:
        """Create the folder and remove temporary files that crashed uploads left."""
        try:
            for path in (self.root, self.root / _META, self.root / _TMP):
                path.mkdir(parents=True, exist_ok=True)
            cutoff = time.time() - _STALE_TMP_SECONDS
            for leftover in (self.root / _TMP).iterdir():
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink(missing_ok=True)
        except OSError as exc:
            raise _storage_error(exc, f"cannot prepare {self.root}") from exc

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
        final = self._path(key)
        incoming = HashingReader(stream, length=length, sha256=sha256)
        # Written to a temporary file even when the key exists: if reconciliation removes
        # the old copy before we hold the lock, these bytes are the ones linked instead.
        try:
            (self.root / _TMP).mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=self.root / _TMP, prefix="put-")
        except OSError as exc:
            raise _storage_error(exc, "cannot create a temporary file") from exc
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := incoming.read(CHUNK_SIZE):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            final.parent.mkdir(parents=True, exist_ok=True)
            with self._locked(fcntl.LOCK_SH):
                self._stamp(tmp)
                try:
                    os.link(tmp, final)
                except FileExistsError:
                    # Stored already (or by a concurrent upload that won the race); under
                    # the shared lock it cannot be removed before it is refreshed.
                    return self._refreshed(key, incoming)
                _fsync_dir(final.parent)
                self._write_meta(key, sha256=incoming.sha256, content_type=content_type)
        except OSError as exc:
            if incoming.source_failed:
                raise
            raise _storage_error(exc, f"cannot store {key!r}") from exc
        finally:
            tmp.unlink(missing_ok=True)
        return StoredObject(
            key=key,
            size=incoming.size,
            sha256=incoming.sha256,
            content_type=content_type,
            created=True,
        )

    @contextlib.contextmanager
    def _locked(self, operation: int) -> Iterator[None]:
        """Hold ``.lock`` shared (puts) or exclusively (removals) for the block."""
        fd = os.open(self.root / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, operation)
            yield
        finally:
            # Closing the only descriptor of this open file releases the lock.
            os.close(fd)

    def _stamp(self, path: Path) -> None:
        moment = self._clock()
        ns = int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000
        os.utime(path, ns=(ns, ns))

    def _refreshed(self, key: str, incoming: HashingReader) -> StoredObject:
        """The existing object, its age refreshed; call under the shared lock."""
        existing = self._existing(key, incoming)
        self._stamp(self._path(key))
        return existing

    def _existing(self, key: str, incoming: HashingReader) -> StoredObject:
        info = self._stat(key, need_sha256=True)
        if not same_content(info, incoming):
            raise ObjectConflictError(key)
        return StoredObject(
            key=key,
            size=info.size,
            sha256=incoming.sha256,
            content_type=info.content_type,
            created=False,
        )

    def _write_meta(self, key: str, *, sha256: str, content_type: str) -> None:
        meta = self._meta_path(key)
        meta.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.root / _TMP, prefix="meta-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"sha256": sha256, "content_type": content_type}, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_name, meta)
        finally:
            Path(tmp_name).unlink(missing_ok=True)

    def open(self, key: str) -> ObjectReader:
        """See :meth:`ObjectStore.open`."""
        info = self.stat(key)
        try:
            handle = self._path(key).open("rb")
        except FileNotFoundError:
            raise ObjectNotFoundError(key) from None
        except OSError as exc:
            raise _storage_error(exc, f"cannot open {key!r}") from exc

        def chunks() -> Iterator[bytes]:
            try:
                while chunk := handle.read(CHUNK_SIZE):
                    yield chunk
            except OSError as exc:
                raise _storage_error(exc, f"cannot read {key!r}") from exc

        return ObjectReader(info=info, chunks=chunks(), close=handle.close)

    def stat(self, key: str) -> ObjectInfo:
        """See :meth:`ObjectStore.stat`."""
        return self._stat(key, need_sha256=False)

    def _stat(self, key: str, *, need_sha256: bool) -> ObjectInfo:
        path = self._path(key)
        try:
            st = path.stat()
        except FileNotFoundError:
            raise ObjectNotFoundError(key) from None
        except OSError as exc:
            raise _storage_error(exc, f"cannot stat {key!r}") from exc
        sha256: str | None = None
        content_type = DEFAULT_CONTENT_TYPE
        with contextlib.suppress(FileNotFoundError, ValueError):
            meta = json.loads(self._meta_path(key).read_text(encoding="utf-8"))
            sha256 = str(meta["sha256"])
            content_type = str(meta["content_type"])
        if sha256 is None and need_sha256:
            sha256 = self._hash_file(path, key)
        return ObjectInfo(
            key=key,
            size=st.st_size,
            content_type=content_type,
            sha256=sha256,
            modified_at=datetime.fromtimestamp(st.st_mtime, tz=UTC),
        )

    def _hash_file(self, path: Path, key: str) -> str:
        try:
            with path.open("rb") as handle:
                reader = HashingReader(handle)
                reader.drain()
        except OSError as exc:
            raise _storage_error(exc, f"cannot read {key!r}") from exc
        return reader.sha256

    def exists(self, key: str) -> bool:
        """See :meth:`ObjectStore.exists`."""
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """See :meth:`ObjectStore.delete`."""
        try:
            self._path(key).unlink(missing_ok=True)
            self._meta_path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise _storage_error(exc, f"cannot delete {key!r}") from exc

    def remove_orphan(self, key: str, *, unchanged_since: datetime) -> bool:
        """See :meth:`ObjectStore.remove_orphan` and the module docstring."""
        path = self._path(key)
        try:
            with self._locked(fcntl.LOCK_EX):
                try:
                    st = path.stat()
                except FileNotFoundError:
                    return False
                if datetime.fromtimestamp(st.st_mtime, tz=UTC) >= unchanged_since:
                    return False
                path.unlink()
                self._meta_path(key).unlink(missing_ok=True)
                return True
        except OSError as exc:
            raise _storage_error(exc, f"cannot remove {key!r}") from exc

    def clear_stale_markers(self, *, older_than: datetime) -> list[str]:
        """Nothing to clear: a dead process's ``flock`` is released by the kernel."""
        return []

    def iter_hidden_keys(self, prefix: str = "") -> Iterator[str]:
        """See :meth:`ObjectStore.iter_hidden_keys`: a folder keeps no versions."""
        check_prefix(prefix)
        return iter(())

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """See :meth:`ObjectStore.iter_keys`."""
        check_prefix(prefix)
        # Walk only the folder the prefix pins down; "sha256/ab/" never visits other fans.
        start = self.root / prefix.rpartition("/")[0] if "/" in prefix else self.root
        keys: list[str] = []
        try:
            for dirpath, dirnames, filenames in os.walk(start):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                base = Path(dirpath).relative_to(self.root)
                for name in filenames:
                    key = (base / name).as_posix()
                    if not name.startswith(".") and key.startswith(prefix):
                        keys.append(key)
        except OSError as exc:
            raise _storage_error(exc, "cannot list objects") from exc
        # Sorted although the interface does not promise it: it costs little here and
        # makes listings reproducible.
        yield from sorted(keys)
