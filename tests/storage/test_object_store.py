"""One suite for every ObjectStore implementation (local folder and S3)."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import pytest

from docex.errors import (
    ObjectConflictError,
    ObjectIntegrityError,
    ObjectNotFoundError,
)
from docex.storage import ObjectStore, content_key
from docex.storage.local import LocalObjectStore
from docex.storage.s3 import S3ObjectStore

BIG = 30 * 1024 * 1024


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class PatternStream:
    """``size`` bytes of a repeating pattern, produced on demand: never all in memory."""

    def __init__(self, size: int, seed: int = 7) -> None:
        self.remaining = size
        self.block = hashlib.sha256(str(seed).encode()).digest() * 2048  # 64 KiB
        self.offset = 0
        self.reads = 0

    def read(self, size: int = -1, /) -> bytes:
        self.reads += 1
        if size < 0:
            size = len(self.block)
        size = min(size, self.remaining, len(self.block))
        start = self.offset % len(self.block)
        chunk = (self.block[start:] + self.block[:start])[:size]
        self.offset += size
        self.remaining -= size
        return chunk

    @classmethod
    def digest(cls, size: int, seed: int = 7) -> str:
        stream, h = cls(size, seed), hashlib.sha256()
        while chunk := stream.read(1 << 20):
            h.update(chunk)
        return h.hexdigest()


def test_round_trip(object_store: ObjectStore) -> None:
    data = b"%PDF-1.7 signed referral"
    key = content_key(sha256(data))
    stored = object_store.put(
        key, io.BytesIO(data), length=len(data), sha256=sha256(data), content_type="application/pdf"
    )
    assert stored.created
    assert (stored.key, stored.size, stored.sha256) == (key, len(data), sha256(data))
    with object_store.open(key) as reader:
        assert reader.info.size == len(data)
        assert reader.info.content_type == "application/pdf"
        assert reader.read() == data
    info = object_store.stat(key)
    assert (info.size, info.sha256, info.content_type) == (
        len(data),
        sha256(data),
        "application/pdf",
    )
    assert info.modified_at.tzinfo is not None
    assert object_store.exists(key)


def test_big_object_streams_both_ways(object_store: ObjectStore) -> None:
    digest = PatternStream.digest(BIG)
    key = content_key(digest)
    source = PatternStream(BIG)
    tracemalloc.start()
    try:
        stored = object_store.put(key, source, length=BIG, sha256=digest)
        _, upload_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        h, total = hashlib.sha256(), 0
        with object_store.open(key) as reader:
            for chunk in reader:
                h.update(chunk)
                total += len(chunk)
        _, download_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored.size == BIG
    assert stored.created
    assert source.reads > 1
    assert (total, h.hexdigest()) == (BIG, digest)
    # At most a part or two in memory at once, never the 30 MB object.
    assert upload_peak < BIG / 2, upload_peak
    assert download_peak < BIG / 2, download_peak


# With the length declared, S3 sends a small object in one conditional PUT; without it,
# it checks for the key first and streams parts. Both must keep the same promises.
declared_or_not = pytest.mark.parametrize("declare_length", [True, False], ids=["sized", "stream"])


@declared_or_not
def test_put_same_bytes_again_is_idempotent(
    object_store: ObjectStore, declare_length: bool
) -> None:
    data = b"the same document, submitted twice"
    key = content_key(sha256(data))
    length = len(data) if declare_length else None
    first = object_store.put(key, io.BytesIO(data), sha256=sha256(data), length=length)
    again = object_store.put(key, io.BytesIO(data), sha256=sha256(data), length=length)
    assert first.created
    assert not again.created
    assert (again.key, again.size, again.sha256) == (key, len(data), sha256(data))
    assert list(object_store.iter_keys("sha256/")) == [key]


@declared_or_not
def test_never_overwrites_with_different_bytes(
    object_store: ObjectStore, declare_length: bool
) -> None:
    original = b"original"
    key = "exports/fixed-name"
    object_store.put(key, io.BytesIO(original), length=len(original) if declare_length else None)
    with pytest.raises(ObjectConflictError):
        object_store.put(key, io.BytesIO(b"tampered"), length=8 if declare_length else None)
    with object_store.open(key) as reader:
        assert reader.read() == original


def test_concurrent_puts_of_one_key_create_it_once(object_store: ObjectStore) -> None:
    data = b"one referral, sent by eight retries at once" * 100
    key = content_key(sha256(data))

    def put(_: int) -> bool:
        return object_store.put(
            key, io.BytesIO(data), length=len(data), sha256=sha256(data)
        ).created

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(put, range(8)))
    assert created.count(True) == 1, created
    with object_store.open(key) as reader:
        assert reader.read() == data


def test_declared_digest_mismatch_stores_nothing(object_store: ObjectStore) -> None:
    data = b"bytes that do not match their key"
    key = content_key(sha256(b"something else"))
    with pytest.raises(ObjectIntegrityError):
        object_store.put(key, io.BytesIO(data), sha256=sha256(b"something else"))
    assert not object_store.exists(key)


@pytest.mark.parametrize("declared", [10, 100])
def test_declared_length_mismatch_stores_nothing(object_store: ObjectStore, declared: int) -> None:
    data = b"x" * 50
    with pytest.raises(ObjectIntegrityError):
        object_store.put("lengths/obj", io.BytesIO(data), length=declared)
    assert not object_store.exists("lengths/obj")


def test_missing_key(object_store: ObjectStore) -> None:
    key = content_key("0" * 64)
    assert not object_store.exists(key)
    with pytest.raises(ObjectNotFoundError):
        object_store.open(key)
    with pytest.raises(ObjectNotFoundError):
        object_store.stat(key)
    object_store.delete(key)  # deleting nothing is not an error


def test_delete(object_store: ObjectStore) -> None:
    object_store.put("a/b", io.BytesIO(b"1"))
    object_store.delete("a/b")
    assert not object_store.exists("a/b")
    assert list(object_store.iter_keys()) == []


def test_iter_keys_by_prefix(object_store: ObjectStore) -> None:
    keys = ["sha256/ab/00/x", "sha256/ab/01/y", "sha256/cd/00/z", "other/k", "a.b", "a/b"]
    for key in keys:
        object_store.put(key, io.BytesIO(key.encode()))
    assert sorted(object_store.iter_keys()) == sorted(keys)
    assert sorted(object_store.iter_keys("sha256/ab/")) == ["sha256/ab/00/x", "sha256/ab/01/y"]
    assert sorted(object_store.iter_keys("sha256/c")) == ["sha256/cd/00/z"]
    assert list(object_store.iter_keys("nothing/")) == []


@pytest.mark.parametrize(
    "key", ["", "/abs", "a//b", "../up", "a/../b", ".hidden", "a/.meta", "a b"]
)
def test_malformed_keys_are_refused(object_store: ObjectStore, key: str) -> None:
    with pytest.raises(ValueError, match="invalid object key"):
        object_store.put(key, io.BytesIO(b"x"))


def test_reader_reads_in_pieces(object_store: ObjectStore) -> None:
    data = bytes(range(256)) * 5000
    object_store.put("pieces", io.BytesIO(data))
    with object_store.open("pieces") as reader:
        parts = [reader.read(1000), reader.read(3), reader.read()]
        assert reader.read(10) == b""
    assert b"".join(parts) == data
    assert [len(p) for p in parts[:2]] == [1000, 3]


def test_content_key_layout() -> None:
    digest = sha256(b"x")
    assert content_key(digest) == f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"
    with pytest.raises(ValueError, match="64 lowercase"):
        content_key(digest.upper())


class BrokenStream:
    """Delivers ``good`` bytes, then fails as a client connection dropping mid-upload."""

    def __init__(self, good: int) -> None:
        self.inner = PatternStream(good)

    def read(self, size: int = -1, /) -> bytes:
        chunk = self.inner.read(size)
        if not chunk:
            raise ConnectionResetError("client went away")
        return chunk


@pytest.mark.parametrize("good", [1000, 12 * 1024 * 1024])
def test_failed_upload_leaves_nothing_under_the_key(object_store: ObjectStore, good: int) -> None:
    key = content_key(sha256(b"never completed"))
    # The caller's own stream error is the caller's to handle; it passes through unchanged.
    with pytest.raises(ConnectionResetError):
        object_store.put(key, BrokenStream(good))
    assert not object_store.exists(key)
    assert list(object_store.iter_keys()) == []
    if isinstance(object_store, LocalObjectStore):
        assert list((object_store.root / ".tmp").iterdir()) == []


def test_factory_picks_the_configured_store(backend_name: str, object_store: ObjectStore) -> None:
    expected = LocalObjectStore if backend_name == "sqlite-local" else S3ObjectStore
    assert isinstance(object_store, expected)
