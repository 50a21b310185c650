"""Recognise what a submitted signature file is, before anything trusts its contents.

Facilities send CMS signatures as DER, as PEM, or as base64 text (the ``signed_content``
of eHealth API payloads); PAdES signatures arrive as PDF files. This module turns such
bytes into a parsed CMS ``SignedData`` or a PDF, with every size bounded.

Recognition goes by structure, never by a substring found somewhere in the bytes, and in
this order:

1. **PDF**: ``%PDF-`` at offset 0. A PDF's cross-reference offsets count from the first
   byte of the file, so a reader that skips leading junk must shift every offset; pyHanko
   does not, and neither do we.
2. **DER**: a SEQUENCE tag with a well-formed definite or indefinite length that fits the
   input. Such bytes are parsed as a CMS ``ContentInfo`` and refused if they are not one;
   they are never re-read as text or PDF. So an attached CAdES signature whose content is
   a PDF (``.pdf.p7s``) is a CMS signature, as it should be.
3. **PEM**: ``-----BEGIN PKCS7-----`` (or ``CMS``, ``SIGNED DATA``, ``PKCS #7 SIGNED
   DATA``) armor, found by a one-pass line scanner.
4. **base64 text**, standard or url-safe, with any whitespace, decoding to DER as above.

A PDF header after a UTF-8 byte-order mark, whitespace or other leading bytes (within the
first 1024 bytes, where some PDF readers tolerate junk) is recognised as a PDF and refused
with a message saying why: its byte ranges cannot be checked against the file as given.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass

from asn1crypto import cms

from docex.errors import InputTooLargeError, NotASignatureError

DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024

PDF_HEADER = b"%PDF-"
# How far into a file PDF readers look for a header preceded by junk (ISO 32000 implem. note).
PDF_HEADER_WINDOW = 1024
_UTF8_BOM = b"\xef\xbb\xbf"

# PEM labels used for CMS SignedData: RFC 7468 names "CMS" and "PKCS7"; OpenSSL and
# Java tools also write "PKCS #7 SIGNED DATA" and "SIGNED DATA".
PEM_LABELS = frozenset({b"PKCS7", b"CMS", b"SIGNED DATA", b"PKCS #7 SIGNED DATA"})

_BASE64_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_")
_WHITESPACE = b" \t\r\n\v\f"
_SEQUENCE_TAG = 0x30


@dataclass(frozen=True)
class CmsInput:
    """A CMS ``SignedData`` and the DER it was parsed from."""

    signed_data: cms.SignedData
    der: bytes


@dataclass(frozen=True)
class PdfInput:
    """The bytes of a PDF file."""

    data: bytes


def check_size(data: bytes, *, what: str, limit: int) -> None:
    """Refuse inputs larger than ``limit`` bytes."""
    if len(data) > limit:
        raise InputTooLargeError(what, limit)


def is_pdf(data: bytes) -> bool:
    """True when the bytes are a PDF file: the ``%PDF-`` header is at the very start."""
    return data.startswith(PDF_HEADER)


def is_der_sequence(data: bytes) -> bool:
    """True when the bytes open with a DER/BER SEQUENCE whose length header is well formed.

    The length must be indefinite (BER ``0x80``) or a definite length, in the minimal
    number of octets DER allows for up to 4 GiB, that does not run past the end of the
    input. Trailing bytes are left to the parser to judge.
    """
    if len(data) < 2 or data[0] != _SEQUENCE_TAG:
        return False
    first = data[1]
    if first == 0x80:
        return True
    if first < 0x80:
        return 2 + first <= len(data)
    octets = first & 0x7F
    if octets > 4 or len(data) < 2 + octets:
        return False
    length = int.from_bytes(data[2 : 2 + octets], "big")
    return length >= 0x80 and data[2] != 0 and 2 + octets + length <= len(data)


def decode_signature(data: bytes, *, limit: int = DEFAULT_MAX_INPUT_BYTES) -> CmsInput | PdfInput:
    """Classify and decode signature bytes (see the module docstring for the order).

    :raises NotASignatureError: the bytes are neither a CMS SignedData nor a PDF.
    :raises InputTooLargeError: the bytes exceed ``limit``.
    """
    check_size(data, what="signature file", limit=limit)
    if not data.strip(_WHITESPACE):
        raise NotASignatureError("the file is empty")
    if is_pdf(data):
        return PdfInput(data)
    if is_der_sequence(data):
        return CmsInput(parse_signed_data(data), data)
    der = _text_to_der(data)
    if der is not None:
        return CmsInput(parse_signed_data(der), der)
    offset = data.find(PDF_HEADER, 0, PDF_HEADER_WINDOW)
    if offset > 0:
        raise NotASignatureError(
            f"a PDF whose header is preceded by {offset} other bytes: the signatures' byte "
            "ranges count from the first byte, so send the PDF starting with %PDF-"
        )
    raise NotASignatureError("not a CMS signature (DER, PEM or base64) and not a PDF")


def _text_to_der(data: bytes) -> bytes | None:
    """The DER inside PEM armor or base64 text; None when the bytes are neither."""
    text = data.removeprefix(_UTF8_BOM)
    body = pem_body(text.splitlines())
    if body is None:
        if not _is_base64_text(text):
            return None
        body = text
    der = _decode_base64(body)
    if is_der_sequence(der):
        return der
    if is_pdf(der):
        raise NotASignatureError("a base64-encoded PDF: send the PDF file itself")
    raise NotASignatureError("decoded base64 is not a CMS signature")


def pem_body(lines: Iterable[bytes]) -> bytes | None:
    """The base64 body of the first complete CMS PEM block, or None if there is none.

    One pass over the lines, a bounded amount of work on each: no backtracking however
    many ``-----BEGIN`` lines the input repeats. A ``BEGIN`` inside an open block starts
    the block again; RFC 1421 headers (``Name: value``) in a block are skipped.
    """
    label: bytes | None = None
    body: list[bytes] = []
    for raw in lines:
        line = raw.strip(_WHITESPACE)
        if line.startswith(b"-----BEGIN ") and line.endswith(b"-----"):
            candidate = line[len(b"-----BEGIN ") : -len(b"-----")]
            label = candidate if candidate in PEM_LABELS else None
            body = []
        elif label is not None:
            if line == b"-----END " + label + b"-----":
                return b"".join(body)
            if b":" in line:
                continue
            body.append(line)
    return None


def _is_base64_text(text: bytes) -> bool:
    has_data = False
    for byte in text:
        if byte in _BASE64_CHARS:
            has_data = True
        elif byte not in _WHITESPACE:
            return False
    return has_data


def _decode_base64(text: bytes) -> bytes:
    compact = bytes(b for b in text if b not in _WHITESPACE)
    if not compact or any(b not in _BASE64_CHARS for b in compact):
        raise NotASignatureError("the PEM block is not base64 text")
    padded = compact + b"=" * (-len(compact) % 4)
    try:
        if b"-" in compact or b"_" in compact:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NotASignatureError("base64 text that does not decode") from exc


def parse_signed_data(der: bytes) -> cms.SignedData:
    """Parse DER as a CMS ``ContentInfo`` holding ``SignedData``.

    asn1crypto parses lazily, so later accesses may still meet malformed inner values; the
    verifier turns those into ``FORMAT_FAILURE`` where they surface. Here we parse the
    outer structure and the signer infos, which every verification needs.
    """
    try:
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "signed_data":
            raise NotASignatureError(
                f"CMS content is {info['content_type'].native!r}, not signed data"
            )
        signed_data = info["content"]
        signer_count = len(signed_data["signer_infos"])
    except NotASignatureError:
        raise
    except Exception as exc:  # asn1crypto raises ValueError, TypeError, KeyError, ...
        raise NotASignatureError(f"malformed CMS structure: {exc}") from exc
    if not isinstance(signed_data, cms.SignedData):
        raise NotASignatureError("CMS content is not SignedData")
    if signer_count == 0:
        raise NotASignatureError("CMS SignedData carries no signer")
    return signed_data
