"""What a PDF's incremental updates changed after each signature, and whether it may.

A signed PDF can be extended by appending revisions. Some additions keep what the signer
signed intact (validation data, document time-stamps, further signatures); others change
what a reader sees (a rewritten form field, new page content, an annotation painted over
the page). :func:`analyse` compares each revision with the one before it by content
(:mod:`.snapshot`, :mod:`.diff`), so "shadow" updates that redefine an existing object
number or re-point a reference at an object hidden in the signed revision are seen for
what they show. :mod:`.rules` then decides, per signature, which of the later changes it
accepts, with its DocMDP and FieldMDP settings. ``docs/pdf-modifications.md`` lists the
rules in prose.

Bounds, so that a hostile file cannot make the analysis run without end:

* :data:`MAX_REVISIONS` -- revisions examined after a signature;
* :data:`~.graph.MAX_OBJECTS_PER_REVISION` -- indirect objects read to describe one
  revision, and again to compare it with the revision before;
* :data:`~.graph.MAX_DEPTH` -- nesting depth of any walk (page tree, field tree, values).

A bound reached, or a revision pyHanko cannot read, gives a :class:`SignatureChanges`
with ``undetermined`` set, not an exception.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from docex.signatures.pdfdiff.coverage import covered_revision
from docex.signatures.pdfdiff.diff import Change, ChangeKind, SignedField, diff_revisions
from docex.signatures.pdfdiff.graph import (
    MAX_DEPTH,
    MAX_OBJECTS_PER_REVISION,
    AnalysisLimitError,
    Budget,
)
from docex.signatures.pdfdiff.resolver import ObjectStreams, RevisionResolver
from docex.signatures.pdfdiff.rules import Permissions, judge, read_permissions
from docex.signatures.pdfdiff.snapshot import Snapshot, read_snapshot

if TYPE_CHECKING:
    # Only annotated: the class lives beside the PAdES reader that builds it.
    from docex.signatures.pdf_embedded import EmbeddedPdfSignature

__all__ = [
    "MAX_DEPTH",
    "MAX_OBJECTS_PER_REVISION",
    "MAX_REVISIONS",
    "DocumentChanges",
    "SignatureChanges",
    "analyse",
]

MAX_REVISIONS = 128
"""Revisions one file may have: an LTA file refreshed yearly for decades stays below."""

# PDF whitespace (ISO 32000-1, 7.2.2): what may follow the last %%EOF.
_WHITESPACE = b"\x00\t\n\x0c\r "
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF")


@dataclass(frozen=True)
class SignatureChanges:
    """The verdict on the changes made after one signature's revision."""

    violations: tuple[str, ...] = ()
    """Changes the signature does not accept, in words (``page 1 content replaced...``)."""
    accepted: tuple[str, ...] = ()
    """Later changes it accepts (``signature 2 added in field "Sig2"``)."""
    carried_by: tuple[str, ...] = ()
    """Later signatures (``signature 2``) whose own revisions filled form fields: their
    own validation says whether those changes are vouched for."""
    undetermined: str | None = None
    """Why the changes could not be analysed (a bound reached, an unreadable revision)."""
    later_revisions: int = 0
    """How many revisions follow the last one the signature covers."""


class DocumentChanges:
    """The revisions of one PDF file, compared pairwise once, judged per signature."""

    def __init__(self, reader: PdfFileReader, signatures: Sequence[EmbeddedPdfSignature]):
        self._reader = reader
        self._snapshots: dict[int, Snapshot] = {}
        self._streams = ObjectStreams(reader)
        self._diffs: dict[int, list[Change]] = {}
        self._signed: dict[int, dict[str, SignedField]] = {}
        self._labels: dict[int, str] = {}
        ordinal = 0
        for emb in signatures:
            if emb.sig_object_type == "/Sig":
                ordinal += 1
                label = f"signature {ordinal}"
            else:
                label = "document time-stamp"
            self._labels[id(emb)] = label
            self._signed.setdefault(emb.signed_revision, {})[str(emb.field_name)] = SignedField(
                str(emb.sig_object_type), label
            )
        reader.stream.seek(0)
        self._data: bytes = reader.stream.read()
        self._trailing = _trailing_bytes(reader, self._data)

    def covered_revision(self, emb: EmbeddedPdfSignature) -> int | None:
        """The last revision ``emb``'s byte range covers in full, None if it covers none."""
        return covered_revision(emb, self._data)

    def label(self, emb: EmbeddedPdfSignature) -> str:
        """How the report names a signature: ``signature 2``, ``document time-stamp``."""
        return self._labels.get(id(emb), "the signature")

    def for_signature(self, emb: EmbeddedPdfSignature) -> SignatureChanges:
        """Judge the changes made after ``emb``'s revision."""
        label = self.label(emb)
        last = self._reader.xrefs.total_revisions - 1
        covered = self.covered_revision(emb)
        if covered is None:
            return SignatureChanges(
                undetermined=f"the byte range of {label} does not cover a whole revision"
            )
        first = covered
        trailing = (
            (
                f"{self._trailing} bytes after the end of the last revision (%%EOF) are not part "
                "of the PDF",
            )
            if self._trailing
            else ()
        )
        if last - first > MAX_REVISIONS:
            return SignatureChanges(
                undetermined=f"the PDF has more than {MAX_REVISIONS} revisions after {label}",
                later_revisions=last - first,
            )
        try:
            perms: Permissions = read_permissions(label, emb.sig_object, emb.sig_field)
            changes = [ch for r in range(first + 1, last + 1) for ch in self._diff(r)]
            signed_fields = set(self._snapshot(first).fields) if changes else set()
        except AnalysisLimitError as exc:
            return SignatureChanges(undetermined=str(exc), later_revisions=last - first)
        except _READ_ERRORS as exc:
            return SignatureChanges(
                undetermined=f"a revision after {label} cannot be read: {exc}",
                later_revisions=last - first,
            )
        verdict = judge(perms, changes, signed_fields=signed_fields)
        return SignatureChanges(
            violations=trailing + verdict.violations,
            accepted=verdict.accepted,
            carried_by=verdict.carried_by,
            later_revisions=last - first,
        )

    def _snapshot(self, revision: int) -> Snapshot:
        snap = self._snapshots.get(revision)
        if snap is None:
            resolver = RevisionResolver(self._reader, revision, self._streams)
            snap = read_snapshot(resolver, revision, Budget())
            self._snapshots[revision] = snap
        return snap

    def _diff(self, revision: int) -> list[Change]:
        found = self._diffs.get(revision)
        if found is None:
            found = _rewritten_object_streams(self._reader, revision)
            found += diff_revisions(
                self._snapshot(revision - 1),
                self._snapshot(revision),
                self._signed.get(revision, {}),
                Budget(),
            )
            self._diffs[revision] = found
        return found


def analyse(reader: PdfFileReader, signatures: Sequence[EmbeddedPdfSignature]) -> DocumentChanges:
    """Prepare the change analysis of a PDF with these embedded signatures (lazy)."""
    return DocumentChanges(reader, signatures)


# pyHanko reports unreadable objects with these (and asserts in places).
_READ_ERRORS = (
    PdfError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    AssertionError,
    RecursionError,
)


def _rewritten_object_streams(reader: PdfFileReader, revision: int) -> list[Change]:
    # pyHanko reads an object in an object stream from the stream's latest version, so an
    # update that redefines an earlier revision's object stream would change what the
    # earlier revision appears to contain. No legitimate tool does that: refuse it.
    xrefs = reader.xrefs
    earlier: set[int] = set()
    for r in range(revision):
        earlier |= xrefs.get_xref_data(r).obj_streams_used
    rewritten = {ref.idnum for ref in xrefs.explicit_refs_in_revision(revision)} & earlier
    if not rewritten:
        return []
    return [
        Change(
            revision,
            ChangeKind.OTHER,
            "an update redefines a compressed object stream of an earlier revision",
        )
    ]


def _trailing_bytes(reader: PdfFileReader, data: bytes) -> int:
    """How many bytes that are not whitespace follow the last revision's ``%%EOF``."""
    # The physically last cross-reference section: in a linearised file the first one read
    # (the last revision in pyHanko's order) sits at the start of the file.
    xrefs = reader.xrefs
    start = max(
        xrefs.get_xref_container_info(r).start_location for r in range(xrefs.total_revisions)
    )
    matches = list(_STARTXREF.finditer(data, max(0, start)))
    if not matches:
        end = data.rfind(b"%%EOF")
        end = len(data) if end < 0 else end + 5
    else:
        # More than one end marker after the last cross-reference section means bytes
        # were appended that only pretend to end the file.
        end = matches[0].end()
    tail = data[end:]
    return len(tail) if tail.strip(_WHITESPACE) else 0
