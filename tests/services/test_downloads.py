"""How a payload's media type is read from its bytes, and what a stored one streams."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from docex.services.downloads import (
    FHIR_JSON,
    JSON,
    OCTET_STREAM,
    PDF,
    SNIFF_BYTES,
    MemoryStream,
    media_type_of,
    sniff_stored,
)
from docex.storage.base import CHUNK_SIZE, content_key
from docex.storage.local import LocalObjectStore


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", PDF),
        (b'{"resourceType": "Observation", "status": "final"}', FHIR_JSON),
        ('  \n{"resourceType":"ServiceRequest","code":{"text":"ЕКГ"}}\n'.encode(), FHIR_JSON),
        (b'{"referral": "K-CARD-01"}', JSON),
        (b"{}", JSON),
        # JSON, but not an object: no document is a bare array or string.
        (b'[{"resourceType": "Observation"}]', OCTET_STREAM),
        (b'"resourceType"', OCTET_STREAM),
        # RFC 8259: JSON between systems is UTF-8, without a byte-order mark.
        (b'\xef\xbb\xbf{"resourceType": "Observation"}', OCTET_STREAM),
        ('{"resourceType": "Observation"}'.encode("utf-16"), OCTET_STREAM),
        (b'{"resourceType": "Observation"', OCTET_STREAM),
        # Deep enough to exhaust the parser: refused as JSON, not raised.
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, OCTET_STREAM),
        (b"[" * 100_000 + b"]" * 100_000, OCTET_STREAM),
        (b" PDF-like: %PDF-1.7", OCTET_STREAM),
        ("Направлення на консультацію\n".encode(), OCTET_STREAM),
        (b"", OCTET_STREAM),
    ],
)
def test_media_type_of(data: bytes, expected: str) -> None:
    assert media_type_of(data) == expected


def _stored(tmp_path: Path, data: bytes) -> LocalObjectStore:
    store = LocalObjectStore(tmp_path)
    store.ensure_ready()
    store.put(content_key(hashlib.sha256(data).hexdigest()), io.BytesIO(data))
    return store


def _sniffed(tmp_path: Path, data: bytes) -> tuple[str, bytes, type[object]]:
    store = _stored(tmp_path, data)
    media_type, body = sniff_stored(store.open(content_key(hashlib.sha256(data).hexdigest())))
    try:
        chunks = list(body)
    finally:
        body.close()
    return media_type, b"".join(chunks), type(body)


def test_a_large_binary_payload_streams_on_after_its_head(tmp_path: Path) -> None:
    data = bytes(range(256)) * (3 * CHUNK_SIZE // 256) + b"tail"
    media_type, served, kind = _sniffed(tmp_path, data)
    assert (media_type, served) == (OCTET_STREAM, data)
    # Not held whole in memory: the store's reader goes on after the sniffed head.
    assert kind is not MemoryStream


def test_a_large_pdf_streams_and_is_a_pdf(tmp_path: Path) -> None:
    data = b"%PDF-1.7\n" + b"0" * (2 * CHUNK_SIZE)
    media_type, served, kind = _sniffed(tmp_path, data)
    assert (media_type, served, kind is MemoryStream) == (PDF, data, False)


def test_json_after_more_whitespace_than_the_head_is_still_parsed(tmp_path: Path) -> None:
    document = json.dumps({"resourceType": "DiagnosticReport", "text": "x" * 5000}).encode()
    data = b" " * (2 * SNIFF_BYTES) + document
    media_type, served, kind = _sniffed(tmp_path, data)
    assert (media_type, served, kind) == (FHIR_JSON, data, MemoryStream)


def test_a_short_payload_is_judged_whole(tmp_path: Path) -> None:
    assert _sniffed(tmp_path, b'{"a": 1}')[:2] == (JSON, b'{"a": 1}')
    assert _sniffed(tmp_path, b"123")[:2] == (OCTET_STREAM, b"123")
