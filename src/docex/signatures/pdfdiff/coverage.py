"""Which revisions a signature's byte range covers.

A PDF signature signs every byte of the file up to the end of a revision, except its own
``/Contents``. The covered zone must end right after a ``startxref N %%EOF`` whose ``N``
is where some revision's cross-reference section starts: that revision and every one
before it (in the order pyHanko reads them) are covered. This is pyHanko's coverage check
generalised to linearised files, whose first-page cross-reference section is read as a
revision of its own although the signer signed both sections at once.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Only annotated: the class lives beside the PAdES reader that builds it.
    from docex.signatures.pdf_embedded import EmbeddedPdfSignature


_END = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*\Z")
_TAIL = 64
"""How far before the end of the covered zone its ``startxref`` may start."""


def covered_revision(emb: EmbeddedPdfSignature, data: bytes) -> int | None:
    """The last revision ``emb``'s byte range covers in full, None if it covers none."""
    byte_range = list(emb.byte_range)
    if len(byte_range) != 4 or byte_range[0] != 0:
        return None
    _, len1, start2, len2 = (int(v) for v in byte_range)
    # The gap must be exactly the hex-encoded /Contents with its angle brackets.
    if start2 != len1 + len(emb.pkcs7_content) * 2 + 2 or len1 < 0 or len2 < 0:
        return None
    end = start2 + len2
    if end > len(data):
        return None
    xrefs = emb.reader.xrefs
    last = xrefs.total_revisions - 1
    if end == len(data):
        return last if emb.signed_revision <= last else None
    match = _END.search(data, max(0, end - _TAIL), end)
    if match is None:
        return None
    startxref = int(match.group(1))
    candidates = [r for r in range(last + 1) if xrefs.get_startxref_for_revision(r) == startxref]
    if not candidates:
        return None
    covered = candidates[-1]
    if emb.signed_revision > covered:
        return None
    for r in range(last + 1):
        meta = xrefs.get_xref_container_info(r)
        if r <= covered and meta.end_location > end:
            return None  # a covered revision's cross-reference data lies outside the zone
        if r > covered and meta.start_location < end:
            return None  # a later revision's cross-reference data hides inside the zone
    return covered
