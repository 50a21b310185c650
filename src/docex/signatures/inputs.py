"""Recognise what a submitted signature file is, before anything trusts its contents.

Facilities send CMS signatures as DER, as PEM, or as base64 text (the ``signed_content``
of eHealth API payloads); PAdES signatures arrive as PDF files. This module turns such
bytes into a parsed CMS ``SignedData`` or a PDF, with every size bounded.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from asn1crypto import cms

from docex.errors import InputTooLargeError, NotASignatureError

DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024

_PEM_RE = re.compile(
    rb"-----BEGIN (?:PKCS7|CMS|SIGNED DATA)-----(.*?)-----END (?:PKCS7|CMS|SIGNED DATA)-----",
    re.DOTALL,
)
_BASE64_ALPHABET = re.compile(rb"^[A-Za-z0-9+/=\s_-]+$")


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
    """True when the bytes start like a PDF file (the header may follow a little junk)."""
    return b"%PDF-" in data[:1024]


def decode_signature(data: bytes, *, limit: int = DEFAULT_MAX_INPUT_BYTES) -> CmsInput | PdfInput:
    """Classify and decode signature bytes.

    :raises NotASignatureError: the bytes are neither a CMS SignedData nor a PDF.
    :raises InputTooLargeError: the bytes exceed ``limit``.
    """
    check_size(data, what="signature file", limit=limit)
    if not data.strip():
        raise NotASignatureError("the file is empty")
    if is_pdf(data):
        return PdfInput(data)
    der = _to_der(data)
    return CmsInput(parse_signed_data(der), der)


def _to_der(data: bytes) -> bytes:
    if data[:1] == b"\x30":
        return data
    pem = _PEM_RE.search(data)
    text = pem.group(1) if pem else data
    if not _BASE64_ALPHABET.match(text.strip()):
        raise NotASignatureError("not a CMS signature (DER, PEM or base64) and not a PDF")
    compact = re.sub(rb"\s+", b"", text)
    try:
        if b"-" in compact or b"_" in compact:
            der = base64.urlsafe_b64decode(compact + b"=" * (-len(compact) % 4))
        else:
            der = base64.b64decode(compact + b"=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NotASignatureError("base64 text that does not decode") from exc
    if is_pdf(der):
        raise NotASignatureError("a base64-encoded PDF: send the PDF file itself")
    if der[:1] != b"\x30":
        raise NotASignatureError("decoded base64 is not a CMS signature")
    return der


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
