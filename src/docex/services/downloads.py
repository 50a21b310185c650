"""What the API serves of a stored document: the bytes, their digest, type and file name.

A :class:`Download` is described before any byte is sent, so that a route can answer
``HEAD`` and ``If-None-Match`` from the description alone; its :attr:`~Download.body` is a
stream over the object store where the bytes are stored as served, and bytes in memory
where they had to be computed (the content encapsulated in an attached CMS).

The payload's media type is read from its bytes, because a submission names none: a PDF
by its header, JSON by parsing it (FHIR JSON when the object has a ``resourceType``), and
anything else is ``application/octet-stream``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from docex.services.records import DocumentRecord
from docex.storage.base import ObjectReader

PDF = "application/pdf"
FHIR_JSON = "application/fhir+json"
JSON = "application/json"
OCTET_STREAM = "application/octet-stream"

EXTENSIONS = {PDF: "pdf", FHIR_JSON: "json", JSON: "json", OCTET_STREAM: "bin"}
"""The file name extension a payload of each media type is served with."""

SNIFF_BYTES = 1024
"""How many leading bytes decide whether a stored payload is worth parsing as JSON."""

_JSON_WHITESPACE = b" \t\r\n"


class ByteStream(Protocol):
    """Chunks of bytes to send, and a way to release what holds them."""

    def __iter__(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class MemoryStream:
    """Bytes already in memory, as a :class:`ByteStream`."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def __iter__(self) -> Iterator[bytes]:
        if self._data:
            yield self._data

    def close(self) -> None:
        """Nothing holds memory bytes but this object."""


class EmptyStream(MemoryStream):
    """No bytes: the body of a ``HEAD`` answer."""

    def __init__(self) -> None:
        super().__init__(b"")


@dataclass(frozen=True)
class Download:
    """Bytes of a document to serve, described before they are sent.

    The caller owns :attr:`body` and must close it, whether it sends it or not.
    """

    document: DocumentRecord
    sha256: str
    """Hex SHA-256 of exactly the bytes of :attr:`body` (the ETag)."""
    size: int
    media_type: str
    filename: str
    """A file name made of the document's id and an extension: safe in any header."""
    body: ByteStream


def media_type_of(data: bytes) -> str:
    """The media type of a payload: PDF, (FHIR) JSON, or ``application/octet-stream``.

    JSON means a UTF-8 JSON object, as RFC 8259 requires of JSON exchanged between
    systems: a byte-order mark, another encoding or a bare scalar is octet-stream.
    """
    if data.startswith(b"%PDF-"):
        return PDF
    try:
        value = json.loads(data.decode("utf-8"))
    # A nesting deep enough to exhaust the parser's stack is not a document either.
    except (UnicodeDecodeError, ValueError, RecursionError):
        return OCTET_STREAM
    if not isinstance(value, dict):
        return OCTET_STREAM
    return FHIR_JSON if "resourceType" in value else JSON


def might_be_json(head: bytes) -> bool:
    """Whether leading bytes could begin a JSON object (worth reading the rest to parse)."""
    stripped = head.lstrip(_JSON_WHITESPACE)
    return not stripped or stripped.startswith(b"{")


def sniff_stored(reader: ObjectReader) -> tuple[str, ByteStream]:
    """The media type of a stored payload, and a stream over all of its bytes.

    Only a payload that might be a JSON object is read whole, to parse it; any other is
    judged by its first :data:`SNIFF_BYTES` and streamed on from the store.
    """
    head = reader.read(SNIFF_BYTES)
    if len(head) < SNIFF_BYTES or might_be_json(head):
        whole = head + reader.read()
        reader.close()
        return media_type_of(whole), MemoryStream(whole)
    # Not JSON, so the head alone decides between PDF and octet-stream.
    return media_type_of(head), _Prepended(head, reader)


class _Prepended:
    """The bytes already read from a reader, then the rest of it."""

    def __init__(self, head: bytes, reader: ObjectReader) -> None:
        self._head = head
        self._reader = reader

    def __iter__(self) -> Iterator[bytes]:
        yield self._head
        yield from self._reader

    def close(self) -> None:
        self._reader.close()


def filename(document: DocumentRecord, media_type: str) -> str:
    """``<document id>.<extension>``: a name no client can inject anything into."""
    return f"{document.id}.{EXTENSIONS.get(media_type, 'bin')}"
